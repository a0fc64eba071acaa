/**
 * SigV4 access keys the Worker trusts in tests (`AWS_ACCESS_KEYS`). Made per
 * run, so no secret is committed; tests read them with `inject('accessKeys')`.
 */
import { webcrypto } from 'node:crypto';

export interface TestAccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  account: string;
  user: string;
  roles?: string[];
  admin?: boolean;
}

declare module 'vitest' {
  interface ProvidedContext {
    accessKeys: Record<'admin' | 'app' | 'flood' | 'web', TestAccessKey>;
  }
}

function randomId(prefix: string, length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = webcrypto.getRandomValues(new Uint8Array(length));
  return prefix + Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

export function createTestAccessKeys(): Record<'admin' | 'app' | 'flood' | 'web', TestAccessKey> {
  const secret = () => Buffer.from(webcrypto.getRandomValues(new Uint8Array(30))).toString('base64');
  return {
    admin: { accessKeyId: randomId('AKIA', 16), secretAccessKey: secret(), account: '111122223333', user: 'kms-admin', admin: true },
    app: { accessKeyId: randomId('AKIA', 16), secretAccessKey: secret(), account: '111122223333', user: 'app', roles: ['app-user'] },
    // Floods the service in the throttling tests; vitest.config.mts gives it a queue of its own size.
    // Given identity policies by the identity-policy suites only (a user and a role of its own).
    web: { accessKeyId: randomId('AKIA', 16), secretAccessKey: secret(), account: '111122223333', user: 'web', roles: ['web-app'] },
    flood: { accessKeyId: randomId('AKIA', 16), secretAccessKey: secret(), account: '111122223333', user: 'flood', admin: true },
  };
}

/** The `AWS_ACCESS_KEYS` binding: access key id → secret and identity. */
export function accessKeysBinding(keys: Record<string, TestAccessKey>): string {
  return JSON.stringify(Object.fromEntries(Object.values(keys).map(({ accessKeyId, ...rest }) => [accessKeyId, rest])));
}
