// The local server that `npm start`, the test suites and the benchmarks run: the Worker bundled by
// esbuild and run by Miniflare (workerd) with the options wrangler derives from wrangler.toml
// (bindings and `.dev.vars`, Durable Objects, the R2 bucket, the static assets in demo/dist).
// Not `wrangler dev`: its dev proxy exits, taking the server down, when one client drops a
// request in the middle of its body (cloudflare/workers-sdk#15203, #15317, #15451).
import { context } from 'esbuild';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from 'wrangler';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONFIG = join(ROOT, 'wrangler.toml');
/** The name the bundle (kept in memory, as several servers may start at once) has in stacks. */
const BUNDLE_NAME = join(ROOT, '.wrangler', 'tmp', 'edgekms-worker.js');

// The Miniflare that this wrangler drives, whose option format wrangler's options are in.
const requireFromWrangler = createRequire(createRequire(import.meta.url).resolve('wrangler/package.json'));
const { Log, LogLevel, Miniflare, convertV4MiniflareOptions } = requireFromWrangler('miniflare');

/** The Worker as one ES module, built as wrangler builds it (conditions, target, define). */
function bundleOptions(main, define) {
  return {
    entryPoints: [main],
    write: false,
    outfile: BUNDLE_NAME,
    bundle: true,
    format: 'esm',
    target: 'es2024',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    // workerd provides these itself (nodejs_compat).
    external: ['node:*', 'cloudflare:*'],
    define,
    logLevel: 'warning',
  };
}

/**
 * Starts the Worker and resolves once it listens.
 *
 * host, port: where it listens; wrangler.toml's [dev] or wrangler's defaults (localhost:8787).
 *             Port 0 picks a free port.
 * persistTo:  the directory for Durable Objects and R2 data, laid out as `wrangler dev
 *             --persist-to` lays it out (so `.wrangler/state` keeps working), or undefined for
 *             storage that goes away with the server.
 * vars:       plain-text bindings that win over `.dev.vars` and wrangler.toml's [vars].
 * logLevel:   'none', 'error', 'warn', 'info' (each request) or 'debug'.
 * watch:      rebuild and reload the Worker when its source changes, as `wrangler dev` does.
 *
 * @param {{ host?: string, port?: number, persistTo?: string, vars?: Record<string, string>, logLevel?: string, watch?: boolean }} [options]
 * @returns {Promise<{ url: string, dispose: () => Promise<void> }>}
 */
export async function startLocalServer({ host, port, persistTo, vars = {}, logLevel = 'info', watch = false } = {}) {
  const config = unstable_readConfig({ config: CONFIG });
  const { workerOptions, define, main, externalWorkers } = unstable_getMiniflareWorkerOptions(config);
  const log = new Log(LogLevel[logLevel.toUpperCase()]);
  const options = (bundle, listenPort) =>
    convertV4MiniflareOptions({
      host: host ?? config.dev.ip ?? 'localhost',
      port: listenPort,
      log,
      resourcePersistencePath: persistTo === undefined ? undefined : join(persistTo, 'v3'),
      resourceTmpPath: join(ROOT, '.wrangler', 'tmp'),
      // No request.cf from Cloudflare's API (there is no network here; the Worker reads none).
      cf: false,
      workers: [
        {
          name: config.name,
          ...workerOptions,
          bindings: { ...workerOptions.bindings, ...vars },
          modulesRoot: join(BUNDLE_NAME, '..'),
          modules: [{ type: 'ESModule', path: BUNDLE_NAME, contents: bundle }],
        },
        ...externalWorkers,
      ],
    });

  let miniflare;
  let url;
  let bundle;
  const reloads = new Set();
  /** In watch mode: a new build replaces the running one; a failed build (esbuild says why) does not. */
  const reloadPlugin = {
    name: 'reload',
    setup(build) {
      build.onEnd(({ errors, outputFiles }) => {
        const rebuilt = outputFiles?.[0]?.contents;
        if (!miniflare || errors.length > 0 || !rebuilt || Buffer.compare(rebuilt, bundle) === 0) return;
        bundle = rebuilt;
        const reload = miniflare
          .setOptions(options(bundle, Number(url.port)))
          .catch((error) => log.error(error))
          .finally(() => reloads.delete(reload));
        reloads.add(reload);
      });
    },
  };
  const builder = await context({ ...bundleOptions(main, define), plugins: watch ? [reloadPlugin] : [] });
  bundle = (await builder.rebuild()).outputFiles[0].contents;
  miniflare = new Miniflare(options(bundle, port ?? config.dev.port ?? 8787));
  url = await miniflare.ready;
  if (watch) await builder.watch();
  else await builder.dispose();
  return {
    url: url.href,
    async dispose() {
      await builder.dispose();
      await Promise.all(reloads);
      await miniflare.dispose();
    },
  };
}
