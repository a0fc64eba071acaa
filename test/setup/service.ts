/**
 * Starts the real Worker (wrangler's own dev server: workerd, Durable
 * Objects in memory) on a loopback port for suites that drive it from Node
 * with official clients, such as the AWS SDK. Test secrets only.
 */
import { unstable_startWorker } from 'wrangler';
import type { TestProject } from 'vitest/node';
import { accessKeysBinding } from './access-keys';

declare module 'vitest' {
  interface ProvidedContext {
    serviceUrl: string;
  }
}

export const SERVICE_ADMIN_TOKEN = 'service-test-admin-token';

export default async function setup(project: TestProject) {
  const { accessKeys } = project.getProvidedContext();
  const plain = (value: string) => ({ type: 'plain_text' as const, value });
  const worker = await unstable_startWorker({
    config: 'wrangler.toml',
    bindings: {
      MASTER_KEY: plain('c2VydmljZS10ZXN0LW1hc3Rlci1rZXktbm90LWZvci1wcm9kdWN0aW9uIQ=='),
      ADMIN_TOKEN: plain(SERVICE_ADMIN_TOKEN),
      AWS_ACCESS_KEYS: plain(accessKeysBinding(accessKeys)),
      THROTTLE_RATE: plain('100000'),
    },
    dev: { server: { hostname: '127.0.0.1', port: 0 }, inspector: false, persist: false },
  });
  await worker.ready;
  project.provide('serviceUrl', (await worker.url).href);
  return () => worker.dispose();
}
