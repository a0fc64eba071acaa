// Fairness benchmark: does one principal at full speed slow another down?
// Principal A (the admin token, native protocol) sends GenerateDataKey on
// BENCH_CONNECTIONS keep-alive connections; principal B (a SigV4 access key,
// AWS protocol) sends GenerateDataKey one request at a time, on a key of its
// own. B's latency is measured alone first, then under A's load, in the same
// run and the same Worker, at the service's default throttling settings.
// Target: B's p50 under load at most 2x its p50 alone. Loopback only; every
// phase is bounded in time and in requests.
import { randomBytes } from 'node:crypto';
import { NodeSha256 } from './node-sha256.mjs';
import { SignatureV4 } from '@smithy/signature-v4';
import autocannon from 'autocannon';
import { assertLoopback, summarize } from './load.mjs';
import { fixed, table, writeResults } from './report.mjs';
import { sourceStamp, withWorker } from './worker-process.mjs';

export const name = 'fairness';
export const description = "one principal at full speed vs another's one-at-a-time latency, default throttling";

/** The target: B's p50 under A's load at most this multiple of B's p50 alone. */
export const TARGET_RATIO = 2;

const ACCOUNT = '111122223333';
const REGION = 'us-east-1';
const CONTEXT = { purpose: 'bench' };
/** Bounds besides the duration: B's requests per phase alone and under load, and A's in all. */
const B_ALONE_REQUESTS = 400;
const B_LOADED_REQUESTS = 20_000;
const A_MAX_REQUESTS = 200_000;
/** A's load settles (connections open, queues fill) before B is measured under it. */
const A_RAMP_MS = 1_000;


export async function run({ duration, connections, warmup, log = console.error }) {
  const accessKeyId = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(30).toString('base64');
  const stamp = sourceStamp();
  // The service's default throttling is what is measured, unless BENCH_FAIRNESS_CONCURRENCY
  // tries another THROTTLE_CONCURRENCY (for sizing it: docs/api.md, "Throttling").
  const concurrency = process.env.BENCH_FAIRNESS_CONCURRENCY;
  return withWorker({
    vars: {
      AWS_ACCESS_KEYS: JSON.stringify({ [accessKeyId]: { secretAccessKey, account: ACCOUNT, user: 'bench-b', admin: true } }),
      ...(concurrency !== undefined && concurrency !== '' && { THROTTLE_CONCURRENCY: concurrency }),
    },
  }, async (worker) => {
    log(`fairness: Worker answering at ${worker.origin}`);
    const a = await principalA(worker);
    const b = await principalB(worker, { accessKeyId, secretAccessKey });

    if (warmup > 0) {
      log(`fairness: warm-up, ${warmup} s`);
      await Promise.all([loadA(a, { duration: warmup, connections }), sequentialB(b, { until: Date.now() + warmup * 1000, max: B_ALONE_REQUESTS })]);
    }

    log(`fairness: B alone, ${B_ALONE_REQUESTS} requests one at a time`);
    const alone = await sequentialB(b, { until: Date.now() + duration * 1000, max: B_ALONE_REQUESTS });

    log(`fairness: A on ${connections} connections for ${duration} s, B one at a time after ${A_RAMP_MS} ms`);
    const loadedUntil = Date.now() + duration * 1000 - 250;
    const [aFigures, loaded] = await Promise.all([
      loadA(a, { duration, connections }),
      delay(A_RAMP_MS).then(() => sequentialB(b, { until: loadedUntil, max: B_LOADED_REQUESTS })),
    ]);

    log(`fairness: B alone again, ${B_ALONE_REQUESTS} requests (a check on drift, not the reference)`);
    const after = await sequentialB(b, { until: Date.now() + duration * 1000, max: B_ALONE_REQUESTS });

    const results = evaluate({ alone, loaded, after, a: aFigures, connections, duration, concurrency: concurrency || 'default' });
    results.sourcesChangedDuringRun = sourceStamp() !== stamp;
    console.log(formatReport(results));
    if (results.sourcesChangedDuringRun) console.log('warning: files under worker/ changed during the run; the local server reloaded the Worker');
    log(`fairness: results written to ${writeResults('fairness.json', results)}`);
    return { name, failed: results.failed, below: results.below, results };
  });
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function expectOk(response, what) {
  const text = await response.text();
  if (response.status !== 200) throw new Error(`bench: ${what} answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** A: the account's administrator (ADMIN_TOKEN) on the native protocol, with a key of its own. */
async function principalA(worker) {
  const headers = { authorization: `Bearer ${worker.adminToken}`, 'content-type': 'application/json' };
  const post = (operation, body) =>
    fetch(`${worker.origin}/v1/${operation}`, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  const keyId = (await expectOk(await post('CreateKey', {}), 'CreateKey')).KeyMetadata.KeyId;
  const body = JSON.stringify({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: CONTEXT });
  await expectOk(await post('GenerateDataKey', JSON.parse(body)), 'A GenerateDataKey');
  return { url: `${worker.origin}/v1/GenerateDataKey`, headers, body };
}

/**
 * B: an IAM user with a SigV4 access key on the AWS protocol, with a key of
 * its own. A SigV4 signature carries no nonce and stays valid for 15 minutes,
 * so one signed request is sent again and again; the server verifies each.
 */
async function principalB(worker, credentials) {
  const origin = new URL(worker.origin);
  assertLoopback(worker.origin);
  const signer = new SignatureV4({ credentials, region: REGION, service: 'kms', sha256: NodeSha256 });
  const signed = async (operation, body) => {
    const request = await signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: origin.hostname,
      port: Number(origin.port),
      path: '/',
      headers: { host: origin.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${operation}` },
      body,
    });
    return { url: `${worker.origin}/`, headers: request.headers, body };
  };
  const send = ({ url, headers, body }) => fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
  const keyId = (await expectOk(await send(await signed('CreateKey', '{}')), 'B CreateKey')).KeyMetadata.KeyId;
  const request = await signed('GenerateDataKey', JSON.stringify({ KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: CONTEXT }));
  await expectOk(await send(request), 'B GenerateDataKey');
  return { request, send };
}

/** A at full speed: autocannon, bounded by `duration` and A_MAX_REQUESTS. */
async function loadA({ url, headers, body }, { duration, connections }) {
  assertLoopback(url);
  const { pathname } = new URL(url);
  const result = await autocannon({
    url,
    duration,
    connections,
    maxOverallRequests: A_MAX_REQUESTS,
    pipelining: 1,
    timeout: 10,
    requests: [{ method: 'POST', path: pathname, headers, body }],
  });
  const figures = summarize(result);
  const throttled = figures.statusCounts['429'] ?? 0;
  // Throttling is an answer here, not a failure; anything else is.
  const otherFailures = figures.non200 - throttled + figures.errors;
  return { ...figures, throttled, failed: otherFailures > 0 || figures.ok === 0, okPerSecond: figures.ok / figures.durationSeconds };
}

/** B: one request at a time until `until` or `max` requests; latencies in ms, and the non-200 answers. */
async function sequentialB({ request, send }, { until, max }) {
  const latencies = [];
  const statuses = {};
  while (latencies.length < max && Date.now() < until) {
    const started = performance.now();
    const response = await send(request);
    await response.arrayBuffer();
    latencies.push(performance.now() - started);
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
  }
  return { latencies, statuses };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function figuresOf({ latencies, statuses }) {
  const sorted = [...latencies].sort((x, y) => x - y);
  const ok = statuses['200'] ?? 0;
  return { requests: latencies.length, ok, statuses, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN };
}

export function evaluate({ alone, loaded, after, a, connections, duration, concurrency }) {
  const b = { alone: figuresOf(alone), loaded: figuresOf(loaded), after: figuresOf(after) };
  const bFailed = Object.values(b).some((phase) => phase.ok !== phase.requests || phase.requests === 0);
  const ratio = b.loaded.p50 / b.alone.p50;
  const failed = bFailed || a.failed;
  return {
    benchmark: name,
    date: new Date().toISOString(),
    duration,
    connections,
    throttleConcurrency: concurrency,
    target: TARGET_RATIO,
    b,
    a: {
      requestsPerSecond: a.requestsPerSecond,
      okPerSecond: a.okPerSecond,
      responses: a.responses,
      ok: a.ok,
      throttled: a.throttled,
      statusCounts: a.statusCounts,
      errors: a.errors,
      latencyMs: a.latencyMs,
    },
    ratio,
    driftAfter: b.after.p50 / b.alone.p50,
    failed,
    below: failed || !(ratio <= TARGET_RATIO),
  };
}

function formatReport(r) {
  const bRow = (label, phase) => [label, String(phase.requests), fixed(phase.p50, 2), fixed(phase.p99, 2), fixed(phase.max, 1), statusText(phase.statuses)];
  const lines = [
    '',
    `Fairness (the local server, THROTTLE_CONCURRENCY ${r.throttleConcurrency}): A = admin token, native GenerateDataKey on ${r.connections} connections for ${r.duration} s;`,
    'B = SigV4 user, AWS-protocol GenerateDataKey one at a time, own key',
    '',
    table(['B', 'requests', 'p50 ms', 'p99 ms', 'max ms', 'statuses'], [
      bRow('alone (reference)', r.b.alone),
      bRow('under A', r.b.loaded),
      bRow('alone again (drift check)', r.b.after),
    ]),
    '',
    table(['A', 'answers/s', 'OK/s', 'throttled', 'p50 ms', 'p99 ms', 'errors'], [
      ['full speed', fixed(r.a.requestsPerSecond, 0), fixed(r.a.okPerSecond, 0), String(r.a.throttled), fixed(r.a.latencyMs.p50, 1), fixed(r.a.latencyMs.p99, 1), String(r.a.errors)],
    ]),
    '',
    `B p50 under A / B p50 alone: ${fixed(r.ratio, 2)}x (target <= ${r.target}x): ${r.below ? 'BELOW' : 'PASS'}` +
      `${r.failed ? '  (a run FAILED: unexpected statuses or errors above)' : ''}`,
    `B p50 alone again / alone first: ${fixed(r.driftAfter, 2)}x${Math.abs(r.driftAfter - 1) > 0.3 ? '  (the machine was busy: figures are noisy)' : ''}`,
  ];
  return lines.join('\n');
}

const statusText = (statuses) => Object.entries(statuses).map(([code, n]) => `${code}: ${n}`).join(', ');
