import { runInDurableObject } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UNSEALED_LIFETIME_MS } from '../../worker/key-object/unsealed-cache';
import { b64, createKey, keyStub, ok, utf8 } from './helpers';

/** The unsealed material of `version` the key's object holds right now, if any (the object itself, not a copy). */
function heldMaterial(keyId: string, version = 1) {
  return runInDurableObject(keyStub(keyId), async (instance) => {
    const cache = (instance as any).versions.unsealed;
    return { material: await cache.get(version), size: cache.size as number };
  });
}

describe('unsealed root keys in memory', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('are dropped once UNSEALED_LIFETIME_MS has passed since unsealing, even while the key stays in use', async () => {
    const keyId = await createKey();
    const encrypt = () => ok('Encrypt', { KeyId: keyId, Plaintext: b64(utf8('in use')) });
    const first = (await encrypt()).CiphertextBlob as string;
    const unsealed = await heldMaterial(keyId);
    expect(unsealed.material?.secret).toBeInstanceOf(Uint8Array);

    // The Worker, its Durable Objects and this test share one isolate, so the objects see this clock too.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });

    // Steady use within the lifetime keeps the same material: no unsealing per request.
    vi.setSystemTime(Date.now() + UNSEALED_LIFETIME_MS / 2);
    await encrypt();
    expect((await heldMaterial(keyId)).material).toBe(unsealed.material);

    // Past the lifetime, the object holds it no more, though the key was used a moment ago.
    vi.setSystemTime(Date.now() + UNSEALED_LIFETIME_MS / 2 + 1);
    expect(await heldMaterial(keyId)).toEqual({ material: undefined, size: 1 });

    // The next request unseals afresh and drops the expired entry; what was encrypted before still decrypts.
    await encrypt();
    const again = await heldMaterial(keyId);
    expect(again.size).toBe(1);
    expect(again.material).toBeDefined();
    expect(again.material).not.toBe(unsealed.material);
    expect((await ok('Decrypt', { CiphertextBlob: first })).KeyId).toContain(keyId);
  });
});
