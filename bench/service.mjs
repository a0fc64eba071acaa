// Service benchmark: EdgeKMS GenerateDataKey and Decrypt (Worker -> KeyObject
// Durable Object) against the bare baseline route POST /bench/bare-wrap (same
// workerd, same auth and JSON work, one AES-GCM wrap with a key held in Worker
// memory, no Durable Object). Order a, b, c, a: the baseline is measured first
// and last and the mean of the two is the reference, since the machine is
// shared and noisy.
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { SignJWT } from 'jose';
import { measure } from './load.mjs';
import { fixed, table, writeResults } from './report.mjs';
import { sourceStamp, withWorker } from './worker-process.mjs';
import { expectNativeOk, nativeCall } from './native-call.mjs';

export const name = 'service';
export const description = 'EdgeKMS operations vs the bare AES-GCM route, on loopback';

/** The target: each KMS operation at least this fraction of the bare route's requests/s. */
export const TARGET_RATIO = 0.5;

/** Baseline runs further apart than this (relative to their mean) flag a noisy machine. */
const NOISY_DRIFT = 0.2;

const CONTEXT = { purpose: 'bench' };

/**
 * Runs the benchmark against a Worker it starts as `npm start` does.
 * options: { duration, connections, warmup, diagnose, log }.
 * Resolves with { name, failed, below, results } after printing its table
 * and writing bench/results/service.json; the Worker is always stopped.
 */
export async function run(options) {
  const { log = console.error } = options;
  const started = Date.now();
  const stamp = sourceStamp();
  log('service: starting the local server on 127.0.0.1 (fresh storage, random MASTER_KEY and ADMIN_TOKEN)');
  // Throughput, not throttling (the per-principal rate limit, default 200/s, and the isolate's fair
  // share, which costs one principal alone some throughput: bench/fairness.mjs), is what is measured.
  // A JWT user too, whose access comes from an identity policy (the default key policy delegates to
  // it): the path where the Worker reads the caller's identity policies before the key decides.
  const jwt = { JWT_HS256_SECRET: randomBytes(32).toString('base64url'), JWT_ISSUER: 'edgekms-bench', JWT_AUDIENCE: 'edgekms' };
  return withWorker({ vars: { BENCH_ROUTES: '1', THROTTLE_RATE: '0', THROTTLE_CONCURRENCY: '0', ...jwt } }, async (worker) => {
    log(`service: Worker answering at ${worker.origin} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const outcome = await benchmarkService(worker, { ...options, server: 'npm start\'s local server' });
    outcome.results.elapsedSeconds = (Date.now() - started) / 1000;
    outcome.results.sourcesChangedDuringRun = sourceStamp() !== stamp;
    if (outcome.results.sourcesChangedDuringRun) {
      console.log('warning: files under worker/ (or wrangler.toml, demo/static) changed during the run; the figures are those of the Worker as it was built when the run started');
    }
    log(`service: results written to ${writeResults('service.json', outcome.results)}`);
    return outcome;
  });
}

/**
 * The measurements, against any running EdgeKMS with BENCH_ROUTES on.
 * worker: { origin, adminToken, cpuSeconds() } (cpuSeconds may return NaN).
 * Prints the table; resolves with { name, failed, below, results }.
 */
export async function benchmarkService(worker, { duration, connections, warmup, diagnose = false, server = 'unknown', log = console.error }) {
  await verifyBindings(worker);
  const routes = await prepareRoutes(worker);
  const plan = [
    { label: 'bare-wrap (baseline, 1st)', key: 'bare', role: 'baseline' },
    { label: 'GenerateDataKey', key: 'generateDataKey', role: 'kms' },
    { label: 'Decrypt', key: 'decrypt', role: 'kms' },
    ...(routes.userGenerateDataKey
      ? [
          { label: 'GenerateDataKey (JWT user, identity policy)', key: 'userGenerateDataKey', role: 'kms' },
          { label: 'Decrypt (JWT user, identity policy)', key: 'userDecrypt', role: 'kms' },
        ]
      : []),
    ...(diagnose
      ? [
          { label: 'GenerateRandom (no DO)', key: 'generateRandom', role: 'diagnostic' },
          { label: 'DescribeKey (DO, no crypto)', key: 'describeKey', role: 'diagnostic' },
        ]
      : []),
    { label: 'bare-wrap (baseline, 2nd)', key: 'bare', role: 'baseline' },
  ];

  const warmed = new Set();
  const runs = [];
  for (const step of plan) {
    const target = routes[step.key];
    const request = {
      url: `${worker.origin}${target.path}`,
      headers: { authorization: `Bearer ${target.token ?? worker.adminToken}` },
      body: JSON.stringify(target.body),
      connections,
    };
    if (!warmed.has(step.key) && warmup > 0) {
      const warm = await measure({ ...request, duration: warmup });
      if (warm.failed) log(`service: warm-up of ${target.route}: ${warm.reason}`);
      warmed.add(step.key);
    }
    log(`service: ${step.label}: ${duration} s at ${connections} connections`);
    const cpuBefore = worker.cpuSeconds();
    const figures = await measure({ ...request, duration, title: step.label });
    // Server CPU per request: steadier than throughput on a shared machine.
    const serverCpuMsPerRequest = ((worker.cpuSeconds() - cpuBefore) * 1000) / figures.responses;
    runs.push({ label: step.label, role: step.role, route: target.route, ...figures, serverCpuMsPerRequest });
  }

  const results = evaluate(runs, { server, duration, connections, warmup, diagnose });
  console.log(formatReport(results));
  return { name, failed: results.failed, below: results.below, results };
}


/**
 * Proves that the values given with --var are in force: they must win over a
 * developer's .dev.vars. The random ADMIN_TOKEN is accepted (so it, and
 * BENCH_ROUTES, came from --var) and a wrong one is refused.
 */
async function verifyBindings(worker) {
  const path = '/bench/bare-wrap';
  const body = { EncryptionContext: CONTEXT };
  const mine = await nativeCall(worker.origin, worker.adminToken, path, body);
  if (mine.status !== 200) {
    throw new Error(
      `bench: ${path} with the benchmark's ADMIN_TOKEN answered ${mine.status} (${mine.text.slice(0, 200)}); ` +
        'the --var ADMIN_TOKEN / BENCH_ROUTES values are not in force',
    );
  }
  const wrong = await nativeCall(worker.origin, `${worker.adminToken}x`, path, body);
  if (wrong.status !== 401) throw new Error(`bench: a wrong bearer token answered ${wrong.status}, expected 401`);
}

/** Creates the key and one data key, checks a round trip, and returns the request bodies. */
/** A token of the JWT user `bench-user` and an identity policy that lets it use `keyId`, when the Worker accepts JWTs. */
async function identityUser({ origin, adminToken, vars }, keyId) {
  if (!vars?.JWT_HS256_SECRET) return undefined;
  const policy = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: `arn:aws:kms:*:*:key/${keyId}`,
        Condition: { StringEquals: { 'kms:EncryptionContext:purpose': 'bench' } },
      },
    ],
  };
  await expectNativeOk(origin, adminToken, '/v1/PutUserPolicy', { UserName: 'bench-user', PolicyName: 'bench', PolicyDocument: JSON.stringify(policy) });
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(vars.JWT_ISSUER)
    .setAudience(vars.JWT_AUDIENCE)
    .setSubject('bench-user')
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(vars.JWT_HS256_SECRET));
}

async function prepareRoutes({ origin, adminToken, vars }) {
  const created = await expectNativeOk(origin, adminToken, '/v1/CreateKey', {});
  const keyId = created.KeyMetadata?.KeyId;
  if (typeof keyId !== 'string') throw new Error(`bench: CreateKey returned no KeyId: ${JSON.stringify(created)}`);

  const dataKeyBody = { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: CONTEXT };
  const dataKey = await expectNativeOk(origin, adminToken, '/v1/GenerateDataKey', dataKeyBody);
  if (typeof dataKey.Plaintext !== 'string' || Buffer.from(dataKey.Plaintext, 'base64').length !== 32) {
    throw new Error('bench: GenerateDataKey did not return a 32-byte Plaintext');
  }
  const decryptBody = { CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: CONTEXT };
  const decrypted = await expectNativeOk(origin, adminToken, '/v1/Decrypt', decryptBody);
  if (decrypted.Plaintext !== dataKey.Plaintext) throw new Error('bench: Decrypt did not return the data key');
  const userToken = await identityUser({ origin, adminToken, vars }, keyId);
  if (userToken) {
    const asUser = await expectNativeOk(origin, userToken, '/v1/Decrypt', decryptBody);
    if (asUser.Plaintext !== dataKey.Plaintext) throw new Error('bench: Decrypt as the JWT user did not return the data key');
  }

  return {
    bare: { route: 'POST /bench/bare-wrap', path: '/bench/bare-wrap', body: { EncryptionContext: CONTEXT } },
    generateDataKey: { route: 'POST /v1/GenerateDataKey', path: '/v1/GenerateDataKey', body: dataKeyBody },
    decrypt: { route: 'POST /v1/Decrypt', path: '/v1/Decrypt', body: decryptBody },
    // Diagnostics (BENCH_DIAGNOSE=1): the operation layer without a Durable
    // Object, and a Durable Object round trip without cryptography.
    generateRandom: { route: 'POST /v1/GenerateRandom', path: '/v1/GenerateRandom', body: { NumberOfBytes: 32 } },
    describeKey: { route: 'POST /v1/DescribeKey', path: '/v1/DescribeKey', body: { KeyId: keyId } },
    ...(userToken && {
      userGenerateDataKey: { route: 'POST /v1/GenerateDataKey', path: '/v1/GenerateDataKey', body: dataKeyBody, token: userToken },
      userDecrypt: { route: 'POST /v1/Decrypt', path: '/v1/Decrypt', body: decryptBody, token: userToken },
    }),
  };
}

const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;

/** Ratios to the baseline mean and verdicts; a failed run gets no figure. */
export function evaluate(runs, config) {
  const baselineRuns = runs.filter((r) => r.role === 'baseline');
  const baselineFailed = baselineRuns.length === 0 || baselineRuns.some((r) => r.failed);
  const baselineRps = baselineFailed ? NaN : mean(baselineRuns.map((r) => r.requestsPerSecond));
  const drift = baselineFailed || baselineRuns.length < 2
    ? null
    : (baselineRuns.at(-1).requestsPerSecond - baselineRuns[0].requestsPerSecond) / baselineRps;
  const baselineCpu = mean(baselineRuns.map((r) => r.serverCpuMsPerRequest));

  for (const r of runs) {
    if (r.role === 'baseline') {
      r.ratio = null;
      r.verdict = r.failed ? 'FAILED' : null;
    } else if (r.failed) {
      r.ratio = null;
      r.verdict = 'FAILED';
    } else if (baselineFailed) {
      r.ratio = null;
      r.verdict = r.role === 'kms' ? 'NO BASELINE' : null;
    } else {
      r.ratio = r.requestsPerSecond / baselineRps;
      r.verdict = r.role === 'kms' ? (r.ratio >= TARGET_RATIO ? 'PASS' : 'BELOW') : null;
    }
    r.serverCpuRatio = Number.isFinite(baselineCpu) && Number.isFinite(r.serverCpuMsPerRequest)
      ? r.serverCpuMsPerRequest / baselineCpu
      : null;
  }

  return {
    benchmark: name,
    description,
    date: new Date().toISOString(),
    environment: { node: process.version, platform: `${process.platform} ${process.arch}`, cpus: cpus().length },
    config: { ...config, pipelining: 1, target: '127.0.0.1' },
    target: { ratio: TARGET_RATIO, statement: `EdgeKMS >= ${TARGET_RATIO}x the bare route` },
    baseline: {
      requestsPerSecond: Number.isFinite(baselineRps) ? baselineRps : null,
      runs: baselineRuns.map((r) => (r.failed ? null : r.requestsPerSecond)),
      drift,
      noisy: drift !== null && Math.abs(drift) > NOISY_DRIFT,
      serverCpuMsPerRequest: Number.isFinite(baselineCpu) ? baselineCpu : null,
      failed: baselineFailed,
    },
    runs,
    failed: runs.some((r) => r.failed),
    below: runs.some((r) => r.verdict === 'BELOW' || r.verdict === 'NO BASELINE'),
  };
}

/** The printed report: one table, the baseline's spread, the target verdicts. */
export function formatReport(results) {
  const { config, baseline, runs } = results;
  const header = ['run', 'route', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'vs bare', 'server CPU ms/req'];
  const rows = runs.map((r) => [
    r.label,
    r.route,
    r.failed ? 'FAILED' : fixed(r.requestsPerSecond, 0),
    fixed(r.latencyMs.p50, 1),
    fixed(r.latencyMs.p99, 1),
    r.non2xx,
    r.errors,
    r.ratio === null ? (r.role === 'baseline' ? '' : '—') : `${r.ratio.toFixed(2)}x`,
    fixed(r.serverCpuMsPerRequest, 2),
  ]);
  rows.push([
    'baseline mean',
    'POST /bench/bare-wrap',
    baseline.failed ? 'FAILED' : fixed(baseline.requestsPerSecond, 0),
    '', '', '', '',
    baseline.failed ? '' : '1.00x',
    fixed(baseline.serverCpuMsPerRequest ?? NaN, 2),
  ]);

  const out = [
    '',
    `EdgeKMS service benchmark (${config.server}): ${config.duration} s per run, ${config.connections} connections, ${config.warmup} s warm-up, 127.0.0.1`,
    '',
    table(header, rows),
    '',
  ];
  if (!baseline.failed && baseline.drift !== null) {
    const [first, second] = baseline.runs;
    out.push(`baseline: ${fixed(first, 0)} then ${fixed(second, 0)} req/s (drift ${(baseline.drift * 100).toFixed(1)}%); ratios use their mean`);
    if (baseline.noisy) {
      out.push(`warning: the baseline moved by more than ${NOISY_DRIFT * 100}% between its runs; the machine is busy and the ratios are rough`);
    }
  }
  const costs = runs.filter((r) => r.role !== 'baseline' && r.serverCpuRatio !== null);
  if (costs.length > 0) {
    out.push(`server CPU per request relative to bare: ${costs.map((r) => `${r.label} ${r.serverCpuRatio.toFixed(2)}x`).join(', ')}`);
  }
  out.push(`target: EdgeKMS >= ${TARGET_RATIO}x the bare route`);
  for (const r of runs.filter((x) => x.role === 'kms')) {
    const ratio = r.ratio === null ? '' : ` ${r.ratio.toFixed(2)}x`;
    out.push(`  ${r.label.padEnd(16)} ${r.verdict}${ratio}${r.failed ? ` (${r.reason})` : ''}`);
  }
  for (const r of runs.filter((x) => x.failed && x.role !== 'kms')) out.push(`  ${r.label}: FAILED (${r.reason})`);
  for (const r of runs.filter((x) => x.non200Samples)) {
    for (const sample of r.non200Samples.slice(0, 2)) out.push(`  ${r.label} answered ${sample.status}: ${sample.body.replace(/\s+/g, ' ').slice(0, 160)}`);
  }
  return out.join('\n');
}
