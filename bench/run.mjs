#!/usr/bin/env node
// `npm run bench [-- <name>...]`: runs the benchmarks (all by default) one
// after another on loopback and prints their tables. Each benchmark is a
// module exporting `name`, `description` and `run(options)`, which resolves
// with `{ failed, below }` after printing its table and writing
// bench/results/<name>.json.
//
// Environment: BENCH_DURATION (seconds per measured run, default 10),
// BENCH_CONNECTIONS (concurrent connections, default 32), BENCH_WARMUP
// (seconds of warm-up per route, default 2), BENCH_DIAGNOSE=1 (extra
// diagnostic routes), BENCH_STRICT=1 (exit 1 when a target is missed, not
// only when a run fails), BENCH_VERBOSE=1 (show all of the server's output).

const BENCHMARKS = {
  service: () => import('./service.mjs'),
  'aws-protocol': () => import('./aws-protocol.mjs'),
  sdk: () => import('./sdk.mjs'),
  browser: () => import('./browser.mjs'),
  fairness: () => import('./fairness.mjs'),
  memory: () => import('./memory.mjs'),
  'hot-key': () => import('./hot-key.mjs'),
  'demo-upload': () => import('./demo-upload.mjs'),
};

function numberFromEnv(name, fallback, { integer = false, min = 0 } = {}) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new Error(`bench: ${name}=${raw} is not a valid ${integer ? 'integer' : 'number'} >= ${min}`);
  }
  return value;
}

async function main() {
  const options = {
    duration: numberFromEnv('BENCH_DURATION', 10, { min: 1 }),
    connections: numberFromEnv('BENCH_CONNECTIONS', 32, { integer: true, min: 1 }),
    warmup: numberFromEnv('BENCH_WARMUP', 2),
    diagnose: process.env.BENCH_DIAGNOSE === '1',
  };
  const selected = process.argv.slice(2);
  const unknown = selected.filter((n) => !Object.hasOwn(BENCHMARKS, n));
  if (unknown.length > 0) {
    throw new Error(`bench: unknown benchmark ${unknown.join(', ')}; available: ${Object.keys(BENCHMARKS).join(', ')}`);
  }
  const names = selected.length > 0 ? selected : Object.keys(BENCHMARKS);
  const modules = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await BENCHMARKS[n]()])));

  // A hard cap: startup plus every measured and warm-up run, with slack, or
  // what a benchmark that is not made of timed runs says it needs. A hang
  // anywhere ends the process, whose exit handler kills the Worker.
  const runsPerBenchmark = options.diagnose ? 6 : 4;
  const timedCap = 90 + runsPerBenchmark * (options.duration + options.warmup + 5);
  const defaultCap = names.reduce((sum, n) => sum + (modules[n].timeoutSeconds?.(options) ?? timedCap), 0);
  const capSeconds = numberFromEnv('BENCH_TIMEOUT', defaultCap, { min: 1 });
  setTimeout(() => {
    console.error(`bench: still running after ${capSeconds} s; giving up`);
    process.exit(1);
  }, capSeconds * 1000).unref();

  const started = Date.now();
  let exitCode = 0;
  for (const name of names) {
    const benchmark = modules[name];
    try {
      const outcome = await benchmark.run({ ...options, log: (line) => console.error(line) });
      if (outcome.failed) exitCode = 1;
      if (outcome.below && process.env.BENCH_STRICT === '1') exitCode = 1;
    } catch (error) {
      console.error(`bench: ${name} failed: ${error.stack ?? error}`);
      exitCode = 1;
    }
  }
  console.error(`bench: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return exitCode;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error.message ?? error);
    process.exitCode = 1;
  },
);
