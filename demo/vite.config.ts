/**
 * The demo page's build: demo/index.html and its TypeScript into demo/dist, which wrangler.toml
 * serves as the Worker's static assets (same origin as the API). scripts/build-demo.mjs runs
 * it, then adds the SDK's IIFE build and the bundler-free script-tag.html beside it.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    reportCompressedSize: false,
  },
});
