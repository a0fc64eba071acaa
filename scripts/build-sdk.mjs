#!/usr/bin/env node
/**
 * Builds the SDK into sdk/dist, where the SDK's own package (sdk/package.json, the npm package
 * "edgekms") points its `exports` and `files` (see sdk/vite.config.mts):
 *   edgekms.js       ES module (package root "edgekms")
 *   edgekms.iife.js  IIFE defining the global `EdgeKMS` (package "edgekms/iife")
 *   edgekms.d.ts     the public types in one file (tsconfig.sdk.json's compiler options)
 * `npm pack` / `npm publish` in sdk/ run it first (the package's `prepack` script).
 * Usage: node scripts/build-sdk.mjs [--quiet] [--out-dir <dir>]   (default sdk/dist)
 */
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rollup } from 'rollup';
import { dts } from 'rollup-plugin-dts';
import { build } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const quiet = process.argv.includes('--quiet');
const outDirFlag = process.argv.indexOf('--out-dir');
const outDir = outDirFlag > 0 ? resolve(process.argv[outDirFlag + 1]) : `${root}sdk/dist`;
const started = performance.now();

await rm(outDir, { recursive: true, force: true });

for (const mode of ['esm', 'iife']) {
  await build({ configFile: `${root}sdk/vite.config.mts`, mode, logLevel: quiet ? 'silent' : 'warn', build: { outDir } });
}

// The declarations as one file: tsc's per-file output would keep the sources' extensionless
// relative imports, which TypeScript cannot follow under `moduleResolution: node16/nodenext`.
const bundle = await rollup({
  input: `${root}sdk/index.ts`,
  external: [/^@noble\//, /^idb(\/|$)/],
  plugins: [dts({ tsconfig: `${root}tsconfig.sdk.json`, compilerOptions: { noEmit: false } })],
  onwarn(warning, warn) {
    if (!quiet) warn(warning);
  },
});
await bundle.write({ file: `${outDir}/edgekms.d.ts`, format: 'es' });
await bundle.close();

if (!quiet) console.log(`SDK built into ${outDir} in ${Math.round(performance.now() - started)} ms`);
