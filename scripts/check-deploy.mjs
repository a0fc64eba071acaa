#!/usr/bin/env node
// Refuses a deploy that would ship development settings: builds the Worker
// exactly as `wrangler deploy` would (`--dry-run`, nothing is uploaded), then
// reads the bindings wrangler reports and the bundle it wrote. Fails (exit 1)
// if demo mode or the benchmark route would be on, if a secret is configured
// as a plain [vars] value, or if a development secret from .dev.vars is
// inside the bundle. Run by `npm test` (test/deploy) and before every deploy.
//
//   node scripts/check-deploy.mjs [--config wrangler.toml] [--dev-vars .dev.vars]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: options } = parseArgs({
  options: { config: { type: 'string', default: join(root, 'wrangler.toml') }, 'dev-vars': { type: 'string', default: join(root, '.dev.vars') } },
});

/** Settings that must be off in production: they let anyone sign in, or expose an unaudited route. */
const MUST_BE_OFF = ['DEMO_MODE', 'BENCH_ROUTES'];
/** Secrets: `wrangler secret put` only, never [vars], which are stored and shown in plain text. */
const SECRETS = ['MASTER_KEY', 'MASTER_KEYS', 'ADMIN_TOKEN', 'JWT_HS256_SECRET', 'AWS_ACCESS_KEYS'];

const outdir = mkdtempSync(join(tmpdir(), 'edgekms-deploy-check-'));
const problems = [];
try {
  const wrangler = join(root, 'scripts', 'wrangler.mjs');
  const run = spawnSync(process.execPath, [wrangler, 'deploy', '--dry-run', '--config', options.config, '--outdir', outdir], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CI: '1' },
  });
  const output = `${run.stdout}\n${run.stderr}`;
  if (run.status !== 0) {
    problems.push(`wrangler deploy --dry-run failed (exit ${run.status}):\n${output}`);
  } else {
    // Wrangler lists each variable as `env.NAME ("value")   Environment Variable`.
    const vars = new Map([...output.matchAll(/env\.([A-Z0-9_]+) \("(.*)"\)\s+Environment Variable/g)].map((m) => [m[1], m[2]]));
    for (const name of MUST_BE_OFF) {
      if (vars.has(name) && vars.get(name) !== '0') problems.push(`${name} is "${vars.get(name)}" in [vars]: it must be "0" or absent in production.`);
    }
    for (const name of SECRETS) {
      if (vars.has(name)) problems.push(`${name} is a plain [vars] value: set it with \`wrangler secret put ${name}\` instead.`);
    }
    const bundle = readdirSync(outdir)
      .filter((file) => file.endsWith('.js'))
      .map((file) => readFileSync(join(outdir, file), 'utf8'))
      .join('\n');
    for (const [name, value] of developmentSecrets(options['dev-vars'])) {
      if (bundle.includes(value)) problems.push(`The bundle contains the development ${name} from ${options['dev-vars']}.`);
    }
  }
} finally {
  rmSync(outdir, { recursive: true, force: true });
}

if (problems.length > 0) {
  console.error(`edgekms: this deploy would ship development settings:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log('edgekms: deploy check passed (no demo mode, no benchmark route, no development secret in the bundle or [vars])');

/** The secret values of a .dev.vars file (long enough that finding one in the bundle means something). */
function developmentSecrets(path) {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => /^([A-Z0-9_]+)=(["']?)(.*)\2\s*$/.exec(line))
    .filter((m) => m && SECRETS.includes(m[1]) && m[3].length >= 16)
    .map((m) => [m[1], m[3]]);
}
