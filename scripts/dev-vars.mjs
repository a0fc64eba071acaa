#!/usr/bin/env node
// Makes sure `.dev.vars` holds the secrets the local server needs, creating
// development values for any that are missing. Never used in production,
// where the secrets come from `wrangler secret put`.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../.dev.vars', import.meta.url);
const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
const defined = new Set(current.split('\n').map((line) => line.split('=')[0]?.trim()));

const accessKeyId = () => `AKIA${Array.from(randomBytes(16), (b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[b % 32]).join('')}`;

const wanted = {
  MASTER_KEY: () => randomBytes(32).toString('base64'),
  ADMIN_TOKEN: () => randomBytes(24).toString('base64url'),
  // One SigV4 key pair for the AWS CLI and SDKs: the development administrator.
  AWS_ACCESS_KEYS: () =>
    `'${JSON.stringify({ [accessKeyId()]: { secretAccessKey: randomBytes(30).toString('base64'), account: '111122223333', user: 'dev-admin', admin: true } })}'`,
  // The demo page's sign-in (worker/demo): it mints HS256 tokens that the JWT settings below accept.
  DEMO_MODE: () => '1',
  JWT_HS256_SECRET: () => randomBytes(32).toString('base64url'),
  JWT_ISSUER: () => 'edgekms-dev',
  JWT_AUDIENCE: () => 'edgekms',
};

const added = Object.entries(wanted)
  .filter(([name]) => !defined.has(name))
  .map(([name, make]) => `${name}=${make()}`);

if (added.length > 0) {
  const separator = current === '' || current.endsWith('\n') ? '' : '\n';
  writeFileSync(path, `${current}${separator}${added.join('\n')}\n`, { mode: 0o600 });
  const names = added.map((line) => line.split('=')[0]);
  const listed = names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names[0];
  console.log(`edgekms: created development ${listed} in .dev.vars`);
}
const vars = readFileSync(path, 'utf8');
const token = /^ADMIN_TOKEN=(.*)$/m.exec(vars)?.[1];
console.log(`edgekms: development admin token (Authorization: Bearer …): ${token}`);
const keys = /^AWS_ACCESS_KEYS='(.*)'$/m.exec(vars)?.[1];
if (keys) {
  const [id, { secretAccessKey }] = Object.entries(JSON.parse(keys))[0];
  console.log(`edgekms: AWS access key for --endpoint-url clients: AWS_ACCESS_KEY_ID=${id} AWS_SECRET_ACCESS_KEY=${secretAccessKey}`);
}
if (/^DEMO_MODE=(["']?)1\1\s*$/m.test(vars)) {
  console.log('edgekms: demo sign-in is on (DEMO_MODE=1): anyone who can reach this server can sign in as alice or bob; set DEMO_MODE=0 in .dev.vars to turn it off');
}
