#!/usr/bin/env node
/**
 * Builds the demo page into demo/dist, the Worker's static assets (wrangler.toml `[assets]`):
 *   index.html + assets/   the page (demo/vite.config.ts)
 *   sdk/edgekms.iife.js    the SDK's IIFE build, for script-tag.html
 *   script-tag.html        copied as written: it is the no-bundler example
 */
import { copyFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = `${root}demo/dist`;
const started = performance.now();

await build({ configFile: `${root}demo/vite.config.ts` });
await build({ configFile: `${root}sdk/vite.config.mts`, mode: 'iife', logLevel: 'warn', build: { outDir: `${outDir}/sdk` } });
await copyFile(`${root}demo/script-tag.html`, `${outDir}/script-tag.html`);

console.log(`demo page built into ${outDir} in ${Math.round(performance.now() - started)} ms`);
