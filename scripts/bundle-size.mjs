#!/usr/bin/env node
/**
 * Prints the size of the SDK's builds in sdk/dist (run `node scripts/build-sdk.mjs` first):
 * raw, minified (esbuild) and minified + gzipped (level 9), for
 *   - the ESM build as published (its `@noble/*` imports external),
 *   - the ESM build with its dependencies bundled in (what a bundler ships for `import *`),
 *   - a tree-shaking probe: a bundle of just `encrypt`, `decrypt` and `RawAesKeyring`,
 *   - the IIFE for a <script> tag (self-contained).
 * Usage: node scripts/bundle-size.mjs [--json]
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, transform } from 'esbuild';

const dist = fileURLToPath(new URL('../sdk/dist/', import.meta.url));

async function minifiedFile(file, format) {
  const source = await readFile(dist + file, 'utf8');
  const { code } = await transform(source, { minify: true, format, target: 'es2022', legalComments: 'none' });
  return { raw: Buffer.byteLength(source), code };
}

async function bundled(contents) {
  const result = await build({
    stdin: { contents, resolveDir: dist, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    legalComments: 'none',
    write: false,
    logLevel: 'error',
  });
  return { raw: undefined, code: result.outputFiles[0].text };
}

const rows = [
  ['edgekms.js (ESM, @noble external)', await minifiedFile('edgekms.js', 'esm')],
  ['edgekms.js (ESM, @noble bundled)', await bundled("export * from './edgekms.js';")],
  ['ESM tree-shaken: encrypt, decrypt, RawAesKeyring', await bundled("export { encrypt, decrypt, RawAesKeyring } from './edgekms.js';")],
  ['edgekms.iife.js (IIFE, self-contained)', await minifiedFile('edgekms.iife.js', 'iife')],
].map(([name, { raw, code }]) => ({
  name,
  raw,
  min: Buffer.byteLength(code),
  gzip: gzipSync(code, { level: 9 }).byteLength,
}));

if (process.argv.includes('--json')) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  const kib = (n) => (n === undefined ? '-' : `${(n / 1024).toFixed(1)} KiB`);
  const width = Math.max(...rows.map((r) => r.name.length));
  console.log(`${'SDK bundle'.padEnd(width)}  ${'raw'.padStart(10)}  ${'min'.padStart(10)}  ${'min+gzip'.padStart(10)}`);
  for (const r of rows) {
    console.log(`${r.name.padEnd(width)}  ${kib(r.raw).padStart(10)}  ${kib(r.min).padStart(10)}  ${kib(r.gzip).padStart(10)}`);
  }
}
