import { describe, expect, it } from 'vitest';
import { b64, createKey, ok, unb64 } from './helpers';

describe('symmetric round trip', () => {
  it('GenerateDataKey then Decrypt returns the same data key', async () => {
    const keyId = await createKey();
    const context = { user: 'alice' };
    const dataKey = await ok('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context });
    expect(unb64(dataKey.Plaintext)).toHaveLength(32);
    const decrypted = await ok('Decrypt', { CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: context });
    expect(decrypted.Plaintext).toBe(dataKey.Plaintext);
    expect(decrypted.KeyId).toContain(keyId);
    expect(b64(unb64(decrypted.Plaintext))).toBe(dataKey.Plaintext);
  });
});
