import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * scripts/check-deploy.mjs runs `wrangler deploy --dry-run` and refuses a
 * deploy that would ship demo mode, the benchmark route or a development
 * secret. It passes on the project's wrangler.toml, and each refusal is shown
 * failing on a configuration that has the fault.
 */
const root = resolve(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'edgekms-deploy-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function check(config?: string, devVars?: string): { status: number | null; output: string } {
  const args = [join(root, 'scripts/check-deploy.mjs')];
  if (config) args.push('--config', config);
  // The project's own .dev.vars (a developer's) is never read by default here: a fixed missing file.
  args.push('--dev-vars', devVars ?? join(scratch, 'absent.dev.vars'));
  const run = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** The project's wrangler.toml, moved to the scratch folder (paths made absolute) and edited. */
function projectConfig(name: string, edit: (toml: string) => string): string {
  const toml = readFileSync(join(root, 'wrangler.toml'), 'utf8')
    .replace(/^main = ".*"$/m, `main = "${join(root, 'worker/index.ts')}"`)
    .replace(/^directory = ".*"$/m, `directory = "${join(root, 'demo/dist')}"`)
    .replace(/^#:schema .*$/m, '');
  const path = join(scratch, name);
  writeFileSync(path, edit(toml));
  return path;
}

describe('deploy check (wrangler deploy --dry-run)', () => {
  it('passes on the wrangler.toml that ships', () => {
    const { status, output } = check();
    expect(output).toContain('deploy check passed');
    expect(status).toBe(0);
  }, 120_000);

  it('fails when demo mode or the benchmark route would be on', () => {
    const config = projectConfig('demo-on.toml', (toml) => toml.replace(/^DEMO_MODE = "0"$/m, 'DEMO_MODE = "1"\nBENCH_ROUTES = "1"'));
    const { status, output } = check(config);
    expect(status).toBe(1);
    expect(output).toContain('DEMO_MODE is "1"');
    expect(output).toContain('BENCH_ROUTES is "1"');
  }, 120_000);

  it('fails when a secret is a plain variable or a development secret is in the bundle', () => {
    const devSecret = 'ZGV2ZWxvcG1lbnQtbWFzdGVyLWtleS1kby1ub3Qtc2hpcA==';
    const main = join(scratch, 'leaky-worker.js');
    writeFileSync(main, `export default { fetch() { return new Response(${JSON.stringify(devSecret)}); } };\n`);
    const config = join(scratch, 'leaky.toml');
    writeFileSync(config, `name = "leaky"\nmain = "${main}"\ncompatibility_date = "2026-08-01"\n[vars]\nADMIN_TOKEN = "not-a-var"\n`);
    const devVars = join(scratch, 'leaky.dev.vars');
    writeFileSync(devVars, `MASTER_KEY=${devSecret}\nDEMO_MODE=1\n`);
    const { status, output } = check(config, devVars);
    expect(status).toBe(1);
    expect(output).toContain('ADMIN_TOKEN is a plain [vars] value');
    expect(output).toContain('The bundle contains the development MASTER_KEY');
  }, 120_000);
});
