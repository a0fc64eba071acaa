/**
 * Data key caching counted at the service (issue 4, acceptance point 4): the caching materials
 * manager over the EdgeKMS keyring, whose client reaches the real Worker through SELF.fetch, and
 * the service's audit trail as the counter. The clock is injected; nothing sleeps.
 */
import { describe, expect, it } from 'vitest';
import {
  CachingMaterialsManager,
  EdgeKmsKeyring,
  LocalCache,
  SUITE_AES256_HKDF_SHA512_COMMIT_KEY,
  SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
  type SuiteId,
  decrypt,
  encrypt,
} from '../../sdk/index';
import { auditCount, createKey, sdkClient } from './helpers';

function setup(keyId: string, limits: { maxMessagesEncrypted?: number; maxBytesEncrypted?: number } = {}) {
  const clock = { time: 1_700_000_000_000 };
  const manager = new CachingMaterialsManager({
    keyring: new EdgeKmsKeyring({ client: sdkClient(), generatorKeyId: keyId }),
    cache: new LocalCache({ capacity: 10 }),
    maxAge: 5 * 60_000,
    ...limits,
    now: () => clock.time,
  });
  return { manager, clock };
}

const CONTEXT = { tenant: 'acme', purpose: 'caching-at-the-service' };

async function encryptMany(manager: CachingMaterialsManager, count: number, suite: SuiteId = SUITE_AES256_HKDF_SHA512_COMMIT_KEY, size = 32) {
  const out = [];
  for (let i = 0; i < count; i++) {
    const plaintext = crypto.getRandomValues(new Uint8Array(size));
    const { ciphertext } = await encrypt(manager, plaintext, { encryptionContext: CONTEXT, suite });
    out.push({ plaintext, ciphertext });
  }
  return out;
}

describe('data key caching, counted at the service', () => {
  it('1,000 small messages make exactly one GenerateDataKey; crossing maxMessagesEncrypted makes one more', async () => {
    const keyId = await createKey();
    const { manager } = setup(keyId, { maxMessagesEncrypted: 1000 });
    const messages = await encryptMany(manager, 1000);
    expect(await auditCount(keyId, 'kms:GenerateDataKey')).toBe(1);
    messages.push(...(await encryptMany(manager, 1)));
    expect(await auditCount(keyId, 'kms:GenerateDataKey')).toBe(2);
    expect(await auditCount(keyId, 'kms:Encrypt')).toBe(0);

    // Reading them back through a caching manager: one Decrypt per data key, not per message.
    const reader = setup(keyId).manager;
    for (const { plaintext, ciphertext } of messages) {
      expect((await decrypt(reader, ciphertext, { expectedContext: CONTEXT })).plaintext).toEqual(plaintext);
    }
    expect(await auditCount(keyId, 'kms:Decrypt')).toBe(2);
    // And with a plain (uncached) keyring, as any reader would.
    const plain = new EdgeKmsKeyring({ client: sdkClient(), generatorKeyId: keyId });
    for (const { plaintext, ciphertext } of [messages[0]!, messages[999]!, messages[1000]!]) {
      expect((await decrypt(plain, ciphertext)).plaintext).toEqual(plaintext);
    }
    expect(await auditCount(keyId, 'kms:Decrypt')).toBe(5);
  });

  it('crossing maxAge or maxBytesEncrypted makes exactly one more GenerateDataKey', async () => {
    const keyId = await createKey();
    const { manager, clock } = setup(keyId, { maxBytesEncrypted: 100 * 32 });
    await encryptMany(manager, 100);
    expect(await auditCount(keyId, 'kms:GenerateDataKey')).toBe(1);
    await encryptMany(manager, 1); // byte 3,201 would exceed the limit
    expect(await auditCount(keyId, 'kms:GenerateDataKey')).toBe(2);
    clock.time += 5 * 60_000; // the entry reaches maxAge
    await encryptMany(manager, 10);
    expect(await auditCount(keyId, 'kms:GenerateDataKey')).toBe(3);
  });

  it('the signed suite caches too, in its own entry', async () => {
    const keyId = await createKey();
    const { manager } = setup(keyId);
    await encryptMany(manager, 50, SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384);
    await encryptMany(manager, 50, SUITE_AES256_HKDF_SHA512_COMMIT_KEY);
    expect(await auditCount(keyId, 'kms:GenerateDataKey')).toBe(2);
  });
});
