import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';

/**
 * One `vitest run` runs every suite: the Worker inside workerd with its real
 * Durable Objects, and plain Node suites (benchmark helpers, scripts).
 */
export const TEST_BINDINGS = {
  // Fixed test secrets: tests must not depend on a developer's .dev.vars.
  MASTER_KEY: 'dGVzdC1tYXN0ZXIta2V5LW5vdC1mb3ItcHJvZHVjdGlvbiE=',
  ADMIN_TOKEN: 'test-admin-token',
};

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: { bindings: TEST_BINDINGS },
          }),
        ],
        test: {
          name: 'workers',
          include: ['test/workers/**/*.test.ts'],
          globalSetup: ['test/setup/wycheproof.ts'],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
