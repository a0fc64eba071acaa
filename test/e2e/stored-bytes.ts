/** Reads every file the Worker persisted (Durable Objects' SQLite, R2 blobs) to search raw bytes. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function persistedFiles(dir: string): { path: string; bytes: Buffer }[] {
  const found: { path: string; bytes: Buffer }[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...persistedFiles(path));
    else found.push({ path, bytes: readFileSync(path) });
  }
  return found;
}

/** The files holding `needle` anywhere in their bytes. */
export function filesContaining(files: { path: string; bytes: Buffer }[], needle: Uint8Array): string[] {
  return files.filter((file) => file.bytes.indexOf(needle) !== -1).map((file) => file.path);
}
