// One fixed-duration, fixed-concurrency load run with autocannon, reduced to
// the figures the benchmarks report. Only loopback targets are accepted.
import autocannon from 'autocannon';

/** Fails unless the URL points at 127.0.0.1: benchmarks never leave the machine. */
export function assertLoopback(url) {
  const { hostname } = new URL(url);
  if (hostname !== '127.0.0.1') throw new Error(`bench: refusing to load ${url}; only 127.0.0.1 is targeted`);
}

/**
 * Reduces an autocannon result. Every response must be 200: anything else,
 * and any socket error or timeout, makes the run `failed` (reason given), and
 * a failed run is not a throughput figure.
 */
export function summarize(result, samples = []) {
  const statusCounts = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count]),
  );
  const responses = Object.values(statusCounts).reduce((a, b) => a + b, 0);
  const ok = statusCounts['200'] ?? 0;
  const non200 = responses - ok;
  const errors = result.errors ?? 0;
  const timeouts = result.timeouts ?? 0;
  const reasons = [];
  if (non200 > 0) {
    const codes = Object.entries(statusCounts).filter(([code]) => code !== '200');
    reasons.push(`${non200} non-200 responses (${codes.map(([c, n]) => `${c}: ${n}`).join(', ')})`);
  }
  if (errors > 0) reasons.push(`${errors} errors (${timeouts} timeouts)`);
  if (ok === 0) reasons.push('no successful responses');
  return {
    requestsPerSecond: result.requests.mean,
    requestsPerSecondStddev: result.requests.stddev,
    latencyMs: {
      mean: result.latency.mean,
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    responses,
    ok,
    non2xx: result.non2xx,
    non200,
    errors,
    timeouts,
    statusCounts,
    durationSeconds: result.duration,
    failed: reasons.length > 0,
    reason: reasons.join('; ') || undefined,
    ...(samples.length > 0 && { non200Samples: samples }),
  };
}

/**
 * Runs `connections` keep-alive connections against one request for
 * `duration` seconds. Resolves with summarize()'s figures.
 */
export async function measure({ url, method = 'POST', headers = {}, body, duration, connections, title }) {
  assertLoopback(url);
  const { pathname, search } = new URL(url);
  // The first few non-200 answers, status and body, to say why a run failed.
  const samples = [];
  const onResponse = (status, responseBody) => {
    if (status !== 200 && samples.length < MAX_SAMPLES) samples.push({ status, body: String(responseBody).slice(0, 300) });
  };
  const instance = autocannon({
    url,
    duration,
    connections,
    pipelining: 1,
    timeout: 10,
    title,
    requests: [
      { method, path: `${pathname}${search}`, headers: { 'content-type': 'application/json', ...headers }, body, onResponse },
    ],
  });
  const result = await instance;
  return summarize(result, samples);
}

const MAX_SAMPLES = 5;
