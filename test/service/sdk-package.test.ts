/**
 * The SDK as its users get it: `npm pack` in sdk/ (whose `prepack` builds sdk/dist), the tarball
 * installed into a fresh application with `npm install` (its dependencies from the npm cache), and
 * then the installed package used from each place the SDK is for:
 *   - Node, through `import ... from 'edgekms'` (the `exports` map), in a child process;
 *   - a Worker: the application's Worker bundled with wrangler's resolve conditions and run by
 *     Miniflare (workerd), as scripts/local-server.mjs runs the service;
 *   - a Vite build of a page, loaded in Chromium;
 *   - a `<script>` tag taking dist/edgekms.iife.js from another origin, served as a CDN serves it;
 *   - TypeScript under `moduleResolution: nodenext`.
 * Each round-trips messages with a raw AES keyring, and where a network client fits (Node, the
 * Worker) with the EdgeKMS keyring against the Worker that test/setup/service.ts started; the
 * messages they wrote are read back here by the SDK's sources, so the build writes what they read.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { build as esbuild } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { build as viteBuild } from 'vite';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EdgeKmsKeyring, RawAesKeyring, createClient, decrypt } from '../../sdk/index';
import { CHROMIUM_LAUNCH_OPTIONS } from '../setup/chromium';
import { SERVICE_ADMIN_TOKEN } from '../setup/service';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const sdkManifest = JSON.parse(await readFile(join(root, 'sdk/package.json'), 'utf8')) as {
  name: string;
  version: string;
  private?: boolean;
  exports: Record<string, string | Record<string, string>>;
  types: string;
  files: string[];
  sideEffects: unknown;
  dependencies: Record<string, string>;
};
const serviceManifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};

const serviceUrl = inject('serviceUrl');
const accessKeys = inject('accessKeys');
const WRAPPING_KEY_HEX = '07'.repeat(32);
const TEXT = 'hello from the installed package';
/** What every consumer prints: the suites it round-tripped and the messages it wrote. */
interface Report {
  readonly resolved?: string;
  readonly roundTrips: { readonly keyring: string; readonly suite: number; readonly text: string }[];
  readonly messages: { readonly keyring: string; readonly ciphertext: string }[];
}

/** The consumers' shared code: the same round trips in Node, the Worker and the pages. */
const ROUND_TRIPS = `
  async function roundTrips(sdk, { serviceUrl, token, keyArn }) {
    const { encrypt, decrypt, RawAesKeyring, EdgeKmsKeyring, createClient } = sdk;
    const hex = '${WRAPPING_KEY_HEX}';
    const wrappingKey = new Uint8Array(hex.length / 2).map((_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
    const keyrings = [['raw-aes', new RawAesKeyring({ keyNamespace: 'app', keyName: 'k1', wrappingKey })]];
    if (serviceUrl) {
      const client = createClient({ endpoint: serviceUrl, getToken: () => token });
      keyrings.push(['edgekms', new EdgeKmsKeyring({ client, generatorKeyId: keyArn })]);
    }
    const roundTrips = [];
    const messages = [];
    const toBase64 = (bytes) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''));
    for (const [name, keyring] of keyrings) {
      for (const suite of [0x0478, 0x0578]) {
        const { ciphertext } = await encrypt(keyring, '${TEXT}', { suite, encryptionContext: { tenant: 'acme' } });
        const { plaintext } = await decrypt(keyring, ciphertext, { expectedContext: { tenant: 'acme' } });
        roundTrips.push({ keyring: name, suite, text: new TextDecoder().decode(plaintext) });
        messages.push({ keyring: name, ciphertext: toBase64(ciphertext) });
      }
    }
    return { roundTrips, messages };
  }
`;

let work: string;
let app: string;
let keyArn: string;
let browser: Browser | undefined;
const servers: Server[] = [];

async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, maxBuffer: 16 << 20 });
  return stdout;
}

/** The installed tree's packages, as "name" or "@scope/name". */
async function installedPackages(modules: string): Promise<string[]> {
  const names: string[] = [];
  for (const entry of await readdir(modules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    if (entry.name.startsWith('@')) {
      for (const scoped of await readdir(join(modules, entry.name))) names.push(`${entry.name}/${scoped}`);
    } else {
      names.push(entry.name);
    }
  }
  return names.sort();
}

/** A static file server on a loopback port, with the headers a CDN sends for a package file. */
async function serve(directory: string, headers: Record<string, string> = {}): Promise<string> {
  const types: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.map': 'application/json' };
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const file = join(directory, path.endsWith('/') ? `${path}index.html` : path);
    if (!file.startsWith(directory) || path.includes('..')) {
      response.writeHead(404).end();
      return;
    }
    readFile(file).then(
      (body) => response.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', ...headers }).end(body),
      () => response.writeHead(404).end(),
    );
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Opens `url` in Chromium and returns what the page put in `window.report`, failing on page errors. */
async function reportOfPage(url: string): Promise<Report> {
  browser ??= await chromium.launch(CHROMIUM_LAUNCH_OPTIONS);
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  try {
    await page.goto(url);
    await page.waitForFunction('window.report !== undefined || window.failure !== undefined', undefined, { timeout: 60_000 });
    const failure = await page.evaluate('window.failure');
    expect({ failure, problems }).toEqual({ failure: undefined, problems: [] });
    return (await page.evaluate('window.report')) as Report;
  } finally {
    await page.close();
  }
}

/** The messages a consumer wrote decrypt with the SDK's sources too. */
async function expectReadableBySources(report: Report): Promise<void> {
  const wrappingKey = Uint8Array.from(Buffer.from(WRAPPING_KEY_HEX, 'hex'));
  const keyrings: Record<string, RawAesKeyring | EdgeKmsKeyring> = {
    'raw-aes': new RawAesKeyring({ keyNamespace: 'app', keyName: 'k1', wrappingKey }),
    edgekms: new EdgeKmsKeyring({ client: createClient({ endpoint: serviceUrl, getToken: () => SERVICE_ADMIN_TOKEN }), keyIds: [keyArn] }),
  };
  for (const { keyring, ciphertext } of report.messages) {
    const { plaintext } = await decrypt(keyrings[keyring]!, Uint8Array.from(Buffer.from(ciphertext, 'base64')));
    expect(new TextDecoder().decode(plaintext)).toBe(TEXT);
  }
}

function expectRoundTrips(report: Report, keyrings: string[]): void {
  expect(report.roundTrips).toEqual(
    keyrings.flatMap((keyring) => [
      { keyring, suite: 0x0478, text: TEXT },
      { keyring, suite: 0x0578, text: TEXT },
    ]),
  );
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'edgekms-package-'));
  app = join(work, 'app');
  await mkdir(app);
  const kms = new KMSClient({
    endpoint: serviceUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: accessKeys.admin.accessKeyId, secretAccessKey: accessKeys.admin.secretAccessKey },
  });
  keyArn = (await kms.send(new CreateKeyCommand({ Description: 'sdk package test' }))).KeyMetadata!.Arn!;
  // `npm pack` runs the package's prepack (the build), so the tarball never holds a stale dist.
  const packed = (await npm(['pack', '--pack-destination', work], join(root, 'sdk'))).trim().split('\n').at(-1)!;
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  await npm(['install', '--prefer-offline', join(work, packed)], app);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the SDK package (sdk/package.json)', () => {
  it('is a public package of its own whose exports point into the files it ships', () => {
    expect(sdkManifest.name).toBe('edgekms');
    expect(sdkManifest.private).toBeUndefined();
    expect(sdkManifest.sideEffects).toBe(false);
    const root = sdkManifest.exports['.'] as Record<string, string>;
    expect(Object.keys(root)).toEqual(['types', 'browser', 'workerd', 'node', 'default']);
    for (const target of [...Object.values(sdkManifest.exports).flatMap((t) => (typeof t === 'string' ? [t] : Object.values(t))), sdkManifest.types]) {
      const path = target.replace(/^\.\//, '');
      expect(path === 'package.json' || sdkManifest.files.some((entry) => path.startsWith(`${entry}/`)), target).toBe(true);
    }
    // Only the SDK's runtime dependencies, at the versions the repository builds and tests with.
    expect(Object.keys(sdkManifest.dependencies).sort()).toEqual(['@noble/curves', '@noble/hashes', 'idb']);
    for (const [name, version] of Object.entries(sdkManifest.dependencies)) expect(serviceManifest.dependencies[name]).toBe(version);
  });

  it('installs with idb and @noble/* only: no hono, jose or zod', async () => {
    const modules = join(app, 'node_modules');
    expect(await installedPackages(modules)).toEqual(['@noble/curves', '@noble/hashes', 'edgekms', 'idb']);
    const installed = JSON.parse(await readFile(join(modules, 'edgekms/package.json'), 'utf8')) as { version: string };
    expect(installed.version).toBe(sdkManifest.version);
    // Every file the exports map names is in the tarball.
    const targets = Object.values(sdkManifest.exports).flatMap((t) => (typeof t === 'string' ? [t] : Object.values(t)));
    for (const target of targets) await expect(readFile(join(modules, 'edgekms', target)), target).resolves.toBeInstanceOf(Buffer);
  });

  it("works in Node through `import ... from 'edgekms'`: raw AES and EdgeKMS keyrings, both suites", async () => {
    await writeFile(
      join(app, 'node.mjs'),
      `import * as sdk from 'edgekms';
      ${ROUND_TRIPS}
      const report = await roundTrips(sdk, JSON.parse(process.env.SERVICE));
      console.log(JSON.stringify({ resolved: import.meta.resolve('edgekms'), ...report }));`,
    );
    const { stdout } = await run(process.execPath, ['node.mjs'], {
      cwd: app,
      env: { ...process.env, SERVICE: JSON.stringify({ serviceUrl, token: SERVICE_ADMIN_TOKEN, keyArn }) },
    });
    const report = JSON.parse(stdout) as Report;
    // Node takes the `node` condition's build (the first condition of the map that Node matches).
    const nodeTarget = (sdkManifest.exports['.'] as Record<string, string>).node!.replace(/^\.\//, '');
    expect(report.resolved).toMatch(new RegExp(`/node_modules/edgekms/${nodeTarget.replace(/\./g, '\\.')}$`));
    expectRoundTrips(report, ['raw-aes', 'edgekms']);
    await expectReadableBySources(report);
  }, 60_000);

  it('works in a Worker bundled with wrangler’s conditions and run by workerd (Miniflare)', async () => {
    await writeFile(
      join(app, 'worker.js'),
      `import * as sdk from 'edgekms';
      ${ROUND_TRIPS}
      export default {
        async fetch(request, env) {
          const report = await roundTrips(sdk, { serviceUrl: env.SERVICE_URL, token: env.TOKEN, keyArn: env.KEY_ARN });
          return Response.json(report);
        },
      };`,
    );
    // As wrangler (and scripts/local-server.mjs) bundles a Worker: the workerd condition first.
    const bundle = await esbuild({
      entryPoints: [join(app, 'worker.js')],
      absWorkingDir: app,
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2024',
      conditions: ['workerd', 'worker', 'browser'],
      metafile: true,
      logLevel: 'error',
    });
    expect(Object.keys(bundle.metafile.inputs)).toContain('node_modules/edgekms/dist/edgekms.js');
    const requireFromWrangler = createRequire(createRequire(import.meta.url).resolve('wrangler/package.json'));
    const { Miniflare, convertV4MiniflareOptions } = requireFromWrangler('miniflare') as typeof import('miniflare');
    const miniflare = new Miniflare(
      convertV4MiniflareOptions({
        workers: [
          {
            name: 'app',
            modules: true,
            script: bundle.outputFiles[0]!.text,
            compatibilityDate: '2026-08-01',
            bindings: { SERVICE_URL: serviceUrl, TOKEN: SERVICE_ADMIN_TOKEN, KEY_ARN: keyArn },
          },
        ],
      }),
    );
    try {
      const response = await miniflare.dispatchFetch('http://app.local/');
      const report = (await response.json()) as Report;
      expectRoundTrips(report, ['raw-aes', 'edgekms']);
      await expectReadableBySources(report);
    } finally {
      await miniflare.dispose();
    }
  }, 120_000);

  it('works in a page built by Vite, in Chromium, and tree-shakes what the page does not use', async () => {
    const site = join(app, 'site');
    await mkdir(site);
    await writeFile(join(site, 'index.html'), '<!doctype html><title>app</title><link rel="icon" href="data:,"><script type="module" src="./main.js"></script>');
    await writeFile(
      join(site, 'main.js'),
      `import { encrypt, decrypt, RawAesKeyring } from 'edgekms';
      ${ROUND_TRIPS}
      roundTrips({ encrypt, decrypt, RawAesKeyring }, {}).then((report) => { window.report = report; }, (error) => { window.failure = String(error); });`,
    );
    const outDir = join(app, 'site-dist');
    await viteBuild({ root: site, configFile: false, logLevel: 'silent', build: { outDir, emptyOutDir: true } });
    const assets = await readdir(join(outDir, 'assets'));
    const code = (await Promise.all(assets.filter((f) => f.endsWith('.js')).map((f) => readFile(join(outDir, 'assets', f), 'utf8')))).join('\n');
    // `sideEffects: false` lets the bundler drop the modules the page never imports.
    expect(code).toContain('RawAesKeyring needs a keyNamespace');
    expect(code).not.toContain('EdgeKmsKeyring needs a client');
    expect(code).not.toContain('IdbCache');
    const report = await reportOfPage(`${await serve(outDir)}/`);
    expectRoundTrips(report, ['raw-aes']);
    await expectReadableBySources(report);
  }, 120_000);

  it('works from a <script> tag loading dist/edgekms.iife.js from a CDN-like origin, in Chromium', async () => {
    // The CDN: the installed package's files under /npm/edgekms@<version>/, as jsDelivr or unpkg
    // lay them out, cross-origin, with their CORS and caching headers.
    const cdn = await serve(join(app, 'node_modules'), {
      'access-control-allow-origin': '*',
      'cache-control': 'public, max-age=31536000, immutable',
      'x-content-type-options': 'nosniff',
    });
    const src = `${cdn}/edgekms/dist/edgekms.iife.js`;
    const page = join(app, 'script-tag');
    await mkdir(page);
    await writeFile(
      join(page, 'index.html'),
      `<!doctype html><title>script tag</title><link rel="icon" href="data:,">
      <script src="${src}" crossorigin="anonymous"></script>
      <script>
      ${ROUND_TRIPS}
      roundTrips(window.EdgeKMS, {}).then((report) => { window.report = report; }, (error) => { window.failure = String(error); });
      </script>`,
    );
    const iife = await readFile(join(app, 'node_modules/edgekms/dist/edgekms.iife.js'), 'utf8');
    expect(iife).not.toMatch(/\brequire\(|^\s*import[\s{*]|\bimport\(/m);
    const report = await reportOfPage(`${await serve(page)}/`);
    expectRoundTrips(report, ['raw-aes']);
    await expectReadableBySources(report);
  }, 120_000);

  it("gives TypeScript (moduleResolution nodenext) the types of 'edgekms'", async () => {
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2023', 'DOM'],
          types: [],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
        },
        files: ['check.ts'],
      }),
    );
    await writeFile(
      join(app, 'check.ts'),
      `
      import { encrypt, decrypt, RawAesKeyring, EdgeKmsError, type EncryptResult } from 'edgekms';
      const keyring = new RawAesKeyring({ keyNamespace: 'app', keyName: 'k1', wrappingKey: new Uint8Array(32) });
      const result: EncryptResult = await encrypt(keyring, 'text', { encryptionContext: { tenant: 'acme' } });
      const { plaintext, encryptionContext } = await decrypt(keyring, result.ciphertext);
      export const length: number = plaintext.byteLength;
      export const tenant: string | undefined = encryptionContext['tenant'];
      export const isError = (e: unknown): boolean => e instanceof EdgeKmsError;
      // @ts-expect-error the suite is one of the supported ids
      await encrypt(keyring, 'text', { suite: 0x0014 });
      `,
    );
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const outcome = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app }).then(
      () => 'ok',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(outcome).toBe('ok');
  }, 60_000);
});
