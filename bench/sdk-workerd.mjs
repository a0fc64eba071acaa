// The SDK benchmark's cases inside workerd (Miniflare, as the tests and `npm start` run it).
// workerd's clocks stand still while a request computes (they only move on I/O), so the cases
// cannot time themselves there: the Worker builds them once, runs a contender N times per request,
// and this host times each request from outside. One request costs well under a millisecond on
// loopback, against batches of at least BENCH_SDK_MIN_TIME seconds.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const WORKER_SOURCE = `
import * as sdk from '${join(ROOT, 'sdk/index.ts').replaceAll('\\', '/')}';
import { defineCases, describeCases, runContender } from '${join(ROOT, 'bench/sdk-cases.mjs').replaceAll('\\', '/')}';
let built;
export default {
  async fetch(request) {
    const url = new URL(request.url);
    try {
      if (url.pathname === '/cases') {
        built = await defineCases({ runtime: 'workerd', sdk });
        return Response.json({ cases: describeCases(built.cases), failures: built.failures, frameLengths: built.frameLengths });
      }
      if (url.pathname === '/run') {
        const p = url.searchParams;
        await runContender(built.cases, Number(p.get('case')), p.get('name'), Number(p.get('count')));
        return new Response('ok');
      }
      return new Response('not found', { status: 404 });
    } catch (error) {
      return new Response(String(error && error.stack || error), { status: 500 });
    }
  },
};
`;

/** Builds the Worker (WebCrypto path: workerd conditions), starts it, returns the cases and a runner. */
export async function startWorkerdCases({ log }) {
  const { build } = await import('esbuild');
  // wrangler's own Miniflare (the one scripts/local-server.mjs runs the service with).
  const requireFromWrangler = createRequire(createRequire(import.meta.url).resolve('wrangler/package.json'));
  const { Miniflare, convertV4MiniflareOptions } = requireFromWrangler('miniflare');
  const dir = mkdtempSync(join(tmpdir(), 'edgekms-bench-workerd-'));
  const outfile = join(dir, 'worker.mjs');
  const built = await build({
    write: false,
    stdin: { contents: WORKER_SOURCE, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    target: 'es2022',
    outfile,
    logLevel: 'error',
    tsconfig: join(ROOT, 'tsconfig.sdk.json'),
  });
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      cf: false,
      workers: [
        {
          name: 'sdk-bench',
          compatibilityDate: '2026-08-01',
          modulesRoot: dir,
          modules: [{ type: 'ESModule', path: outfile, contents: built.outputFiles[0].contents }],
        },
      ],
    }),
  );
  const call = async (path) => {
    const response = await mf.dispatchFetch(`http://bench${path}`);
    const body = await response.text();
    if (!response.ok) throw new Error(`workerd ${path}: ${response.status} ${body}`);
    return body;
  };
  log('sdk: workerd: building the cases inside workerd');
  const { cases, failures, frameLengths } = JSON.parse(await call('/cases'));
  return {
    cases,
    failures,
    frameLengths,
    runBatch: (index, name, count) => call(`/run?case=${index}&name=${encodeURIComponent(name)}&count=${count}`),
    close: async () => {
      await mf.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
