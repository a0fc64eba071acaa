/**
 * The SDK's builds (Vite library mode), run by scripts/build-sdk.mjs, one format per run:
 *
 * - `--mode esm`:  sdk/dist/edgekms.js, ES module for bundlers, Workers and Node. One file, not
 *   minified (bundlers minify; `"sideEffects": false` in sdk/package.json lets them drop what is not
 *   imported). The runtime dependencies (`@noble/*`, `idb`) stay external imports, so an
 *   application that also uses them carries one copy, at the version its lockfile chooses.
 * - `--mode node`: sdk/dist/edgekms.node.js, the ESM build for the package's `node` condition:
 *   the same, with AES-GCM on node:crypto for small inputs (sdk/node-build.mjs swaps in
 *   sdk/crypto/aes-gcm.node.ts, and node:crypto's hash for signed streams, message-hash.node.ts).
 *   Browsers and Workers never load it.
 * - `--mode iife`: sdk/dist/edgekms.iife.js, minified, for a plain `<script>` tag: defines the
 *   global `EdgeKMS` and bundles every dependency, so it needs nothing else.
 *
 * The `.d.ts` types are bundled separately (rollup-plugin-dts) by scripts/build-sdk.mjs.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { nodeVitePlugin } from './node-build.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The SDK's runtime dependencies: external in the ESM build, bundled into the IIFE. */
export const SDK_EXTERNAL = [/^@noble\//, /^idb(\/|$)/];

export default defineConfig(({ mode }) => {
  if (mode !== 'esm' && mode !== 'node' && mode !== 'iife') {
    throw new Error(`sdk/vite.config.mts: --mode esm, node or iife, not ${mode}`);
  }
  const esm = mode !== 'iife';
  const node = mode === 'node';
  return {
    root,
    configFile: false,
    publicDir: false,
    logLevel: 'warn',
    plugins: node ? [nodeVitePlugin()] : [],
    build: {
      outDir: 'sdk/dist',
      emptyOutDir: false,
      target: 'es2022',
      sourcemap: true,
      minify: esm ? false : 'esbuild',
      reportCompressedSize: false,
      lib: {
        entry: 'sdk/index.ts',
        name: 'EdgeKMS',
        formats: [esm ? 'es' : 'iife'],
        fileName: () => (node ? 'edgekms.node.js' : esm ? 'edgekms.js' : 'edgekms.iife.js'),
      },
      rollupOptions: {
        external: node ? [...SDK_EXTERNAL, /^node:/] : esm ? SDK_EXTERNAL : [],
      },
    },
  };
});
