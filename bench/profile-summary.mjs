#!/usr/bin/env node
// Summarises a .cpuprofile (V8's format: Chrome DevTools, `node --cpu-prof`, or
// BENCH_BROWSER_PROFILE in browser.mjs): the functions with the most self time, with their
// share of all samples. Usage: node bench/profile-summary.mjs <file.cpuprofile> [rows, default 30]
import { readFileSync } from 'node:fs';

const [file, rowsText = '30'] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: node bench/profile-summary.mjs <file.cpuprofile> [rows]');
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfSamples = new Map();
for (const id of profile.samples) selfSamples.set(id, (selfSamples.get(id) ?? 0) + 1);
const byFunction = new Map();
for (const [id, count] of selfSamples) {
  const { functionName, url, lineNumber } = byId.get(id).callFrame;
  const where = url ? `${url.split('/').pop()}:${lineNumber + 1}` : '';
  const key = `${functionName || '(anonymous)'} ${where}`.trim();
  byFunction.set(key, (byFunction.get(key) ?? 0) + count);
}
const total = profile.samples.length;
const rows = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(rowsText));
for (const [key, count] of rows) console.log(`${((100 * count) / total).toFixed(1).padStart(5)}%  ${key}`);
