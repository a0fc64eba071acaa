// Hot-key benchmark (issue 17, docs/replicas.md, docs/operations.md "Capacity"):
// GenerateDataKey on one key served by N = 1, 2, 4, 8 replica objects, against
// the bare baseline route POST /bench/bare-wrap in the same run (measured first
// and last; the mean is the reference).
//
// This machine runs every object of the Worker in one workerd process on 2
// shared cores, so the aggregate throughput of several objects cannot be seen
// here. What is measured: server CPU per request (the process group's CPU time
// over the requests answered), the part of it beyond the bare route (the key's
// object and the Worker-to-object call: what one single-threaded object spends
// per request), how many Durable Objects the Worker addressed per request (the
// isolate's count, read through a bench route: 1 means no request touched a
// second object), and how the requests spread over the replicas (each
// replica's audit chain). What is projected, by the model in
// docs/operations.md: one object serves at most 1000 / (CPU ms beyond the bare
// route) requests/s, a key N times that, capped by the Worker tier in front.
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { measure } from './load.mjs';
import { fixed, table, writeResults } from './report.mjs';
import { sourceStamp, withWorker } from './worker-process.mjs';
import { expectNativeOk } from './native-call.mjs';

export const name = 'hot-key';
export const description = 'one key on N = 1, 2, 4, 8 replica objects: CPU per request per replica, objects per request, projected throughput';

const REPLICA_COUNTS = [1, 2, 4, 8];
const CONTEXT = { purpose: 'hot-key bench' };
const SEQUENTIAL_REQUESTS = 100;

export function timeoutSeconds({ duration, warmup }) {
  return 120 + (REPLICA_COUNTS.length + 2) * (duration + warmup + 30);
}

/** Set-up requests after a load run may meet a connection the server closed: three attempts. */
const call = (origin, token, path, body) => expectNativeOk(origin, token, path, body, { timeoutMs: 30_000, attempts: 3 });

/** Records per replica chain of a key: how its requests spread (VerifyAuditChain walks every chain). */
async function recordsPerReplica(worker, keyId) {
  const counts = {};
  let marker;
  for (;;) {
    const page = await call(worker.origin, worker.adminToken, '/v1/VerifyAuditChain', { KeyId: keyId, ...(marker && { Marker: marker }) });
    for (const chain of page.Chains) counts[chain.Source] = chain.Records;
    if (page.Valid === false) throw new Error(`bench: the audit chains of ${keyId} do not verify: ${JSON.stringify(page.FirstInvalidRecord)}`);
    if (!page.Truncated) return Object.values(counts);
    marker = page.NextMarker;
  }
}

export async function run(options) {
  const { duration, connections, warmup, log = console.error } = options;
  const started = Date.now();
  const stamp = sourceStamp();
  log('hot-key: starting the local server on 127.0.0.1 (fresh storage, random MASTER_KEY and ADMIN_TOKEN)');
  return withWorker({ vars: { BENCH_ROUTES: '1', THROTTLE_RATE: '0', THROTTLE_CONCURRENCY: '0', JWT_HS256_SECRET: randomBytes(32).toString('base64url') } }, async (worker) => {
    const objectsAddressed = async () => (await call(worker.origin, worker.adminToken, '/bench/objects-addressed', {})).count;
    const timed = async (label, path, body) => {
      const request = { url: `${worker.origin}${path}`, headers: { authorization: `Bearer ${worker.adminToken}` }, body: JSON.stringify(body), connections };
      if (warmup > 0) await measure({ ...request, duration: warmup });
      log(`hot-key: ${label}: ${duration} s at ${connections} connections`);
      const cpuBefore = worker.cpuSeconds();
      const figures = await measure({ ...request, duration, title: label });
      const cpuMs = ((worker.cpuSeconds() - cpuBefore) * 1000) / figures.responses;
      return { label, ...figures, serverCpuMsPerRequest: cpuMs };
    };
    /**
     * Objects per request, counted over requests made one after another (a
     * timed run ends with requests in flight that the server handled but the
     * client never counted); the bench route itself addresses no object.
     */
    const objectsPerRequest = async (body) => {
      // Requests of the timed run that the client gave up on at its end are still being served: wait until they are done.
      let before = await objectsAddressed();
      for (let settled = 0; settled < 3; ) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        const now = await objectsAddressed();
        settled = now === before ? settled + 1 : 0;
        before = now;
      }
      for (let i = 0; i < SEQUENTIAL_REQUESTS; i++) await call(worker.origin, worker.adminToken, '/v1/GenerateDataKey', body);
      return ((await objectsAddressed()) - before) / SEQUENTIAL_REQUESTS;
    };

    const bare = { EncryptionContext: CONTEXT };
    const baselines = [await timed('bare-wrap (baseline, 1st)', '/bench/bare-wrap', bare)];
    const runs = [];
    for (const replicas of REPLICA_COUNTS) {
      const created = await call(worker.origin, worker.adminToken, '/v1/CreateKey', { Tags: [{ TagKey: 'edgekms:Replicas', TagValue: String(replicas) }] });
      const keyId = created.KeyMetadata.KeyId;
      const body = { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: CONTEXT };
      // The first answer tells the Worker's isolate how many replicas serve the key.
      await call(worker.origin, worker.adminToken, '/v1/GenerateDataKey', body);
      const result = await timed(`GenerateDataKey, N = ${replicas}`, '/v1/GenerateDataKey', body);
      result.objectsPerRequest = await objectsPerRequest(body);
      const perReplica = await recordsPerReplica(worker, keyId);
      const total = perReplica.reduce((a, b) => a + b, 0);
      runs.push({ replicas, keyId, ...result, auditRecordsPerReplica: perReplica, busiestReplicaShare: Math.max(...perReplica) / total });
    }
    baselines.push(await timed('bare-wrap (baseline, 2nd)', '/bench/bare-wrap', bare));

    const results = evaluate(baselines, runs, { duration, connections, warmup });
    console.log(formatReport(results));
    results.elapsedSeconds = (Date.now() - started) / 1000;
    results.sourcesChangedDuringRun = sourceStamp() !== stamp;
    log(`hot-key: results written to ${writeResults('hot-key.json', results)}`);
    return { name, failed: results.failed, below: results.below, results };
  });
}

const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;

/**
 * The model (docs/operations.md, "Capacity"): a Durable Object runs one
 * request at a time, so one object serves at most 1000 / c requests/s, where c
 * is its CPU ms per request: here the server CPU per request beyond the bare
 * route (an upper bound: it also holds the Worker's side of the call). A key
 * on N replicas serves N times that, as long as the Worker tier in front
 * (stateless, scaled out by the platform) keeps up: capped at
 * HOT_KEY_WORKER_CAP requests/s if set. "This machine" is the ceiling of 2
 * shared cores running everything: cores * 1000 / server CPU ms per request.
 */
export function evaluate(baselines, runs, config) {
  const baselineCpu = mean(baselines.map((r) => r.serverCpuMsPerRequest));
  const baselineRps = mean(baselines.map((r) => r.requestsPerSecond));
  const workerCap = Number(process.env.HOT_KEY_WORKER_CAP ?? Infinity);
  const cores = cpus().length;
  for (const r of runs) {
    r.objectCpuMsPerRequest = r.serverCpuMsPerRequest - baselineCpu;
    r.perObjectRequestsPerSecond = 1000 / r.objectCpuMsPerRequest;
    r.projectedPerKey = Math.min(r.replicas * r.perObjectRequestsPerSecond, workerCap);
    r.thisMachineCeiling = (cores * 1000) / r.serverCpuMsPerRequest;
    r.ratioToBare = r.requestsPerSecond / baselineRps;
  }
  const one = runs.find((r) => r.replicas === 1);
  for (const r of runs) r.projectedScaling = one ? r.projectedPerKey / one.projectedPerKey : null;
  const failed = [...baselines, ...runs].some((r) => r.failed);
  return {
    benchmark: name,
    description,
    date: new Date().toISOString(),
    environment: { node: process.version, platform: `${process.platform} ${process.arch}`, cpus: cores },
    config: { ...config, pipelining: 1, target: '127.0.0.1', workerCap: Number.isFinite(workerCap) ? workerCap : null },
    baseline: { requestsPerSecond: baselineRps, serverCpuMsPerRequest: baselineCpu, runs: baselines },
    runs,
    failed,
    // The one requirement the model rests on: a cryptographic request touches one object.
    below: runs.some((r) => !(r.objectsPerRequest <= 1)),
  };
}

export function formatReport({ baseline, runs, config }) {
  const header = ['N', 'req/s here', 'vs bare', 'server CPU ms/req', 'CPU ms/req per replica (beyond bare)', 'objects/req', 'busiest replica', 'projected req/s per key', 'x N=1', 'this machine'];
  const rows = runs.map((r) => [
    r.replicas,
    r.failed ? 'FAILED' : fixed(r.requestsPerSecond, 0),
    `${fixed(r.ratioToBare, 2)}x`,
    fixed(r.serverCpuMsPerRequest, 3),
    fixed(r.objectCpuMsPerRequest, 3),
    fixed(r.objectsPerRequest, 3),
    `${fixed(r.busiestReplicaShare * 100, 0)}%`,
    fixed(r.projectedPerKey, 0),
    `${fixed(r.projectedScaling, 2)}x`,
    fixed(r.thisMachineCeiling, 0),
  ]);
  return [
    `hot-key: GenerateDataKey on one key, ${config.connections} connections, ${config.duration} s per run`,
    `bare route (baseline): ${fixed(baseline.requestsPerSecond, 0)} req/s, ${fixed(baseline.serverCpuMsPerRequest, 3)} server CPU ms/req (runs: ${baseline.runs.map((r) => fixed(r.requestsPerSecond, 0)).join(', ')})`,
    table(header, rows),
    'projected req/s per key = N x 1000 / (CPU ms/req per replica)' + (config.workerCap ? `, capped at ${config.workerCap} (HOT_KEY_WORKER_CAP)` : '; the Worker tier scales out in front (set HOT_KEY_WORKER_CAP to cap it)'),
    'this machine = cores x 1000 / server CPU ms/req: every object and the Worker share these cores, so N cannot raise it here',
    `objects/req: Durable Objects the Worker addressed per GenerateDataKey, over ${SEQUENTIAL_REQUESTS} requests one after another (1 = no request touched a second object)`,
  ].join('\n');
}
