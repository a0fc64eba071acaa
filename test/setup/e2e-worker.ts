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
import { startTestWorker } from './start-worker';

export default async function setup(project: TestProject) {
  if (!existsSync('demo/dist/index.html')) {
    throw new Error('demo/dist is missing: run `npm run build:demo` (npm test does it before vitest).');
  }
  const stateDir = await mkdtemp(join(tmpdir(), 'edgekms-e2e-'));
  const worker = await startTestWorker(
    {
      MASTER_KEY: 'ZTJlLXRlc3QtbWFzdGVyLWtleS1ub3QtZm9yLXByb2R1Y3Rpb24hIQ==',
      ADMIN_TOKEN: 'e2e-test-admin-token',
      DEMO_MODE: '1',
      JWT_HS256_SECRET: 'e2e-test-demo-signing-secret-not-for-production',
      JWT_ISSUER: 'edgekms-e2e',
      JWT_AUDIENCE: 'edgekms',
      THROTTLE_RATE: '100000',
      // The large-upload test measures the local storage alone beside the upload (/bench/storage-write).
      BENCH_ROUTES: '1',
    },
    stateDir,
  );
  project.provide('demoUrl', worker.url);
  project.provide('demoStateDir', stateDir);
  return async () => {
    await worker.dispose();
    await rm(stateDir, { recursive: true, force: true });
  };
}
