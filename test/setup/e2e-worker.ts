/**
 * Starts the real Worker with the demo turned on (wrangler's dev server: workerd, Durable Objects
 * and the R2 bucket persisted to a fresh temporary directory, so the test can read what the
 * storage actually holds) for the end-to-end suite, which drives the demo page in Chromium.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { unstable_startWorker } from 'wrangler';

export default async function setup(project: TestProject) {
  if (!existsSync('demo/dist/index.html')) {
    throw new Error('demo/dist is missing: run `npm run build:demo` (npm test does it before vitest).');
  }
  const stateDir = await mkdtemp(join(tmpdir(), 'edgekms-e2e-'));
  const plain = (value: string) => ({ type: 'plain_text' as const, value });
  const worker = await unstable_startWorker({
    config: 'wrangler.toml',
    bindings: {
      MASTER_KEY: plain('ZTJlLXRlc3QtbWFzdGVyLWtleS1ub3QtZm9yLXByb2R1Y3Rpb24hIQ=='),
      ADMIN_TOKEN: plain('e2e-test-admin-token'),
      DEMO_MODE: plain('1'),
      JWT_HS256_SECRET: plain('e2e-test-demo-signing-secret-not-for-production'),
      JWT_ISSUER: plain('edgekms-e2e'),
      JWT_AUDIENCE: plain('edgekms'),
      THROTTLE_RATE: plain('100000'),
    },
    dev: { server: { hostname: '127.0.0.1', port: 0 }, inspector: false, persist: stateDir },
  } as Parameters<typeof unstable_startWorker>[0]);
  await worker.ready;
  project.provide('demoUrl', (await worker.url).href);
  project.provide('demoStateDir', stateDir);
  return async () => {
    await worker.dispose();
    await rm(stateDir, { recursive: true, force: true });
  };
}
