/**
 * Starts the real Worker (wrangler's own dev server: workerd, Durable Objects
 * in memory) on a loopback port for suites that drive it from Node with
 * official clients, such as the AWS SDK. Test secrets only.
 */
import type { TestProject } from 'vitest/node';
import { accessKeysBinding } from './access-keys';
import { startTestWorker } from './start-worker';

declare module 'vitest' {
  interface ProvidedContext {
    serviceUrl: string;
  }
}

export const SERVICE_ADMIN_TOKEN = 'service-test-admin-token';

export default async function setup(project: TestProject) {
  const { accessKeys } = project.getProvidedContext();
  const worker = await startTestWorker(
    {
      MASTER_KEY: 'c2VydmljZS10ZXN0LW1hc3Rlci1rZXktbm90LWZvci1wcm9kdWN0aW9uIQ==',
      ADMIN_TOKEN: SERVICE_ADMIN_TOKEN,
      AWS_ACCESS_KEYS: accessKeysBinding(accessKeys),
      THROTTLE_RATE: '100000',
    },
    false,
  );
  project.provide('serviceUrl', worker.url);
  return () => worker.dispose();
}
