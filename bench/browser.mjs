// `npm run bench -- browser` (issue 15): the SDK benchmark's cases (sdk-cases.mjs) in Debian's
// Chromium, driven by playwright-core: this SDK (browser build, WebCrypto only) against raw
// WebCrypto and the official AWS Encryption SDK for browsers (@aws-crypto/client-browser 4.2.2),
// all in one page, as ratios measured in one run.
//
// The official browser SDK lives in bench/browser-peer/ with its own package.json and lockfile:
// installed in the root tree, its @aws-crypto/* packages would replace the ones
// @aws-crypto/client-node needs. The first run installs it there (`npm ci --prefix`). esbuild
// bundles the page: sdk/index.ts, the official SDK with its `Buffer` global taken from the
// `buffer` package, and the cases. A loopback HTTP server serves it (WebCrypto needs a secure
// context, which http://127.0.0.1 is); Chromium runs headless with a fresh profile.
//
// Environment: as sdk.mjs (BENCH_SDK_REPS, BENCH_SDK_LARGE_REPS, BENCH_SDK_MIN_TIME, BENCH_SDK_GROUPS),
// BENCH_BROWSER_PROFILE=<file> (a CPU profile of the page while it measures), and
// CHROMIUM_PATH (default /usr/bin/chromium).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { caseGroups } from './sdk-cases.mjs';

export const name = 'browser';
export const description = 'SDK vs raw WebCrypto and @aws-crypto/client-browser in Chromium';
export const timeoutSeconds = () => 900;

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PEER = join(HERE, 'browser-peer');
// --expose-gc: measureCases collects garbage between timed batches (sdk-cases.mjs).
const CHROMIUM_ARGS = ['--js-flags=--expose-gc', '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function envNumber(key, fallback) {
  const raw = process.env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`bench: ${key}=${raw} is not a positive number`);
  return value;
}

/** Installs bench/browser-peer from its lockfile unless it is there already. */
function ensurePeerInstalled(log) {
  if (existsSync(join(PEER, 'node_modules/@aws-crypto/client-browser/package.json')) && existsSync(join(PEER, 'node_modules/buffer/package.json'))) return;
  log('browser: installing the official browser SDK into bench/browser-peer (npm ci, first run only)');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--prefix', PEER, '--no-audit', '--no-fund', '--ignore-scripts'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`npm ci --prefix ${PEER} failed (${result.status ?? result.signal})`);
}

async function bundlePage() {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [join(HERE, 'browser/page.mjs')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    inject: [join(PEER, 'buffer-shim.mjs')],
    define: { global: 'globalThis' },
    logLevel: 'error',
    tsconfig: join(ROOT, 'tsconfig.sdk.json'),
  });
  return result.outputFiles[0].text;
}

function serve(script) {
  const html = '<!doctype html><meta charset="utf-8"><title>EdgeKMS SDK benchmark</title><script src="/bench.js"></script>';
  const server = createServer((request, response) => {
    if (request.url === '/bench.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' });
      response.end(script);
    } else {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(html);
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

export async function run(options = {}) {
  const { log = console.error } = options;
  const { writeResults } = await import('./report.mjs');
  const { formatResults } = await import('./sdk-report.mjs');
  const reps = Math.round(envNumber('BENCH_SDK_REPS', 11));
  const largeReps = Math.round(envNumber('BENCH_SDK_LARGE_REPS', 9));
  const minTime = envNumber('BENCH_SDK_MIN_TIME', 0.1);
  const started = Date.now();

  ensurePeerInstalled(log);
  const script = await bundlePage();
  const server = await serve(script);
  const profile = mkdtempSync(join(tmpdir(), 'edgekms-bench-chromium-'));
  const { chromium } = await import('playwright-core');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      const text = message.text();
      if (text.startsWith('progress: ')) log(`browser: ${text.slice(10)}`);
      else if (message.type() === 'error') log(`browser: page error: ${text}`);
    });
    page.on('pageerror', (error) => log(`browser: page error: ${error.message}`));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    const version = context.browser()?.version() ?? 'unknown';
    log(`browser: Chromium ${version}; ${reps} rounds (${largeReps} for 64 MiB), median`);
    // BENCH_BROWSER_PROFILE=<file>: a CPU profile of the page (CDP Profiler) while it measures,
    // written as a .cpuprofile (Chrome DevTools, or `node bench/profile-summary.mjs <file>`).
    const profilePath = process.env.BENCH_BROWSER_PROFILE;
    const cdp = profilePath ? await context.newCDPSession(page) : undefined;
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    const outcome = await page.evaluate((settings) => globalThis.runSdkBench(settings), { reps, largeReps, minTime, groups: caseGroups(process.env.BENCH_SDK_GROUPS) });
    if (cdp) {
      const { profile } = await cdp.send('Profiler.stop');
      writeFileSync(profilePath, JSON.stringify(profile));
      log(`browser: CPU profile written to ${profilePath}`);
    }
    for (const failure of outcome.failures) log(`browser: ${failure}`);
    const heading = `SDK in Chromium ${version} (browser build, WebCrypto) vs @aws-crypto/client-browser 4.2.2: median of ${reps} rounds (${largeReps} for 64 MiB); frames: buffer ${outcome.frameLengths.buffer / 1024} KiB, stream ${outcome.frameLengths.stream / 1024} KiB`;
    const { lines, verdicts } = formatResults('chromium', outcome.results, { heading });
    console.log(lines.join('\n'));
    const failed = outcome.failures.length > 0;
    const below = verdicts.some((v) => !v.pass);
    const results = {
      name,
      date: new Date().toISOString(),
      chromium: version,
      userAgent: outcome.userAgent,
      method: { reps, largeReps, minTimeSeconds: minTime, mbps: '10^6 plaintext bytes per second, median of rounds' },
      results: outcome.results,
      verdicts,
      failures: outcome.failures,
      failed,
      below,
      elapsedSeconds: (Date.now() - started) / 1000,
    };
    log(`browser: results written to ${writeResults('browser.json', results)} after ${results.elapsedSeconds.toFixed(1)} s`);
    return { name, failed, below, results };
  } finally {
    await context.close();
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
