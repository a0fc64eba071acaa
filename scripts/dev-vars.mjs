#!/usr/bin/env node
// Makes sure `.dev.vars` holds the secrets `wrangler dev` needs, creating
// development values for any that are missing. Never used in production,
// where the secrets come from `wrangler secret put`.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../.dev.vars', import.meta.url);
const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
const defined = new Set(current.split('\n').map((line) => line.split('=')[0]?.trim()));

const wanted = {
  MASTER_KEY: () => randomBytes(32).toString('base64'),
  ADMIN_TOKEN: () => randomBytes(24).toString('base64url'),
};

const added = Object.entries(wanted)
  .filter(([name]) => !defined.has(name))
  .map(([name, make]) => `${name}=${make()}`);

if (added.length > 0) {
  const separator = current === '' || current.endsWith('\n') ? '' : '\n';
  writeFileSync(path, `${current}${separator}${added.join('\n')}\n`, { mode: 0o600 });
  console.log(`edgekms: created development ${added.map((l) => l.split('=')[0]).join(' and ')} in .dev.vars`);
}
const token = /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync(path, 'utf8'))?.[1];
console.log(`edgekms: development admin token (Authorization: Bearer …): ${token}`);
