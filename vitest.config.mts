import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { nodeVitePlugin } from './sdk/node-build.mjs';
import { accessKeysBinding, createTestAccessKeys } from './test/setup/access-keys.ts';
import { CHROMIUM_LAUNCH_OPTIONS } from './test/setup/chromium.ts';
import { createTestIdentityProvider } from './test/setup/identity.ts';

/** The SDK's suites that run everywhere; files named *.node.test.ts are Node-only. */
const SDK_PORTABLE_TESTS = {
  include: ['test/sdk/**/*.test.ts'],
  exclude: ['test/sdk/**/*.node.test.ts'],
};

/**
 * One `vitest run` runs every suite. The `workers` project runs the Worker
 * inside workerd against its real Durable Objects, with fixed test secrets
 * (never a developer's .dev.vars) and a test identity provider made per run.
 */
const identityProvider = await createTestIdentityProvider();
const accessKeys = createTestAccessKeys();

const TEST_BINDINGS = {
  MASTER_KEY: 'dGVzdC1tYXN0ZXIta2V5LW5vdC1mb3ItcHJvZHVjdGlvbiE=',
  ADMIN_TOKEN: 'test-admin-token',
  JWT_ISSUER: identityProvider.issuer,
  JWT_AUDIENCE: identityProvider.audience,
  JWT_HS256_SECRET: identityProvider.hs256Secret,
  JWT_JWKS: JSON.stringify(identityProvider.publicJwks),
  JWT_ACCOUNT_CLAIM: 'account',
  JWT_ROLES_CLAIM: 'groups',
  KMS_ADMIN_ROLE: 'kms-admin',
  AWS_ACCESS_KEYS: accessKeysBinding(accessKeys),
  DEMO_MODE: '1',
  // The suites send thousands of requests as one principal; one test principal gets a tiny limit.
  THROTTLE_RATE: '100000',
  // Fair sharing (worker/auth/fair-share.ts) above the suites' largest bursts: the pool runs the
  // Worker without cross-request promise resolution, so a request queued for its turn could not be
  // resumed by the request that frees it. The throttling tests' flooding principals queue nothing:
  // past the limit and their share they are refused at once.
  THROTTLE_CONCURRENCY: '64',
  THROTTLE_OVERRIDES: JSON.stringify({
    'arn:aws:sts::333344445555:federated-user/throttled': { rate: 0.2, burst: 2 },
    'arn:aws:sts::555566667777:federated-user/greedy': { queue: 0 },
    [`arn:aws:iam::${accessKeys.flood.account}:user/${accessKeys.flood.user}`]: { queue: 0 },
  }),
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
          globalSetup: ['test/setup/wycheproof.ts', 'test/setup/jwks-server.ts'],
          provide: { identityProvider, accessKeys },
          testTimeout: 30_000,
        },
      },
      {
        // Official clients (the AWS SDK, the AWS Encryption SDK) in Node, driving the real Worker
        // that wrangler's dev server runs on a loopback port.
        test: {
          name: 'service-node',
          environment: 'node',
          include: ['test/service/**/*.test.ts'],
          globalSetup: ['test/setup/service.ts'],
          provide: { accessKeys },
          testTimeout: 30_000,
          hookTimeout: 90_000,
        },
      },
      {
        // The policy evaluator against an independent one (@cloud-copilot/iam-simulate) in Node:
        // worker/policy/ is plain TypeScript, so the comparison needs no Worker around it.
        test: {
          name: 'policy-node',
          environment: 'node',
          include: ['test/policy/**/*.test.ts'],
          testTimeout: 600_000,
        },
      },
      {
        // The demo page end to end: Debian's Chromium (playwright-core) driving the page that the
        // real Worker serves, with the demo turned on and its state persisted to a temporary
        // directory the tests read. One file at a time: they share the Worker and its demo users.
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/setup/e2e-worker.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The deploy check: `wrangler deploy --dry-run` of the shipping configuration, refused if demo
        // mode or a development secret would ship (scripts/check-deploy.mjs).
        test: {
          name: 'deploy-node',
          environment: 'node',
          include: ['test/deploy/**/*.test.ts'],
          testTimeout: 120_000,
        },
      },
      {
        // The SDK's suites in plain Node, on the package's Node build (its `node` condition:
        // AES-GCM on node:crypto, sdk/node-build.mjs). The same files are written to run unchanged
        // in workerd and Chromium; files named *.node.test.ts are Node-only (interop with the
        // official SDK).
        plugins: [nodeVitePlugin()],
        test: {
          name: 'sdk-node',
          environment: 'node',
          include: ['test/sdk/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        // The same files in Node on the portable build (WebCrypto, as in browsers and Workers), so
        // both of the SDK's crypto paths pass every test in one runtime.
        test: {
          name: 'sdk-node-webcrypto',
          environment: 'node',
          include: ['test/sdk/**/*.test.ts'],
          exclude: ['test/sdk/package-import.node.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        // The same SDK files inside workerd, in a trivial test Worker of their own (not the service).
        plugins: [cloudflareTest({ wrangler: { configPath: './test/sdk/workerd/wrangler.toml' } })],
        test: {
          name: 'sdk-workers',
          ...SDK_PORTABLE_TESTS,
          testTimeout: 30_000,
        },
      },
      {
        // The same SDK files in Debian's Chromium (/usr/bin/chromium; browser downloads are not
        // possible here), headless, driven by Playwright.
        // The bare imports of the SDK and its tests are pre-bundled up front: found mid-run on a
        // fresh clone (empty node_modules/.vite), one makes Vite re-optimize and reload, and the
        // file being imported then fails with "Failed to fetch dynamically imported module".
        optimizeDeps: {
          include: ['idb', '@noble/curves/nist.js', '@noble/hashes/sha2.js', '@noble/hashes/utils.js', 'fast-check', 'jose'],
        },
        test: {
          name: 'sdk-browser',
          ...SDK_PORTABLE_TESTS,
          testTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: CHROMIUM_LAUNCH_OPTIONS,
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
