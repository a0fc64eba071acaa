// Plain-text tables and JSON result files shared by the benchmarks.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

/** Right-aligns numbers, left-aligns text; `rows` are arrays of cells. */
export function table(header, rows) {
  const all = [header, ...rows].map((row) => row.map((cell) => String(cell ?? '')));
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  const numeric = header.map((_, i) => rows.every((row) => typeof row[i] === 'number' || /^[\d.,x%+-]*$|^—$/.test(String(row[i]))));
  const line = (row) => row.map((cell, i) => (numeric[i] && i > 0 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(all[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
}

export const fixed = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '—');

/** Writes `value` as pretty JSON under bench/results/, creating the folder. */
export function writeResults(name, value) {
  const path = `${RESULTS_DIR}${name}`;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
  return path;
}
