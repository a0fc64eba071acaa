import { describe, expect, it } from 'vitest';
import { b64, createKey, ok, refused, unb64, utf8 } from './helpers';

const context = { tenant: 'acme', purpose: 'test' };

describe('Encrypt and Decrypt', () => {
  it('round-trips with an encryption context, in any key order, by id, ARN, alias and alias ARN', async () => {
    const keyId = await createKey();
    const alias = `alias/sym-${crypto.randomUUID()}`;
    await ok('CreateAlias', { AliasName: alias, TargetKeyId: keyId });
    const plaintext = b64(utf8('attack at dawn'));
    for (const KeyId of [keyId, `arn:aws:kms:us-east-1:111122223333:key/${keyId}`, alias, `arn:aws:kms:us-east-1:111122223333:${alias}`]) {
      const encrypted = await ok('Encrypt', { KeyId, Plaintext: plaintext, EncryptionContext: context });
      expect(encrypted.KeyId).toBe(`arn:aws:kms:us-east-1:111122223333:key/${keyId}`);
      expect(encrypted.EncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT');
      const reordered = { purpose: 'test', tenant: 'acme' };
      const decrypted = await ok('Decrypt', { CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: reordered });
      expect(decrypted.Plaintext).toBe(plaintext);
      // KeyId on Decrypt is optional but, when given, may be any form of the same key.
      await ok('Decrypt', { CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: context, KeyId });
    }
  });

  it('encrypts 4096 bytes and refuses 4097 and 0', async () => {
    const keyId = await createKey();
    const big = crypto.getRandomValues(new Uint8Array(4096));
    const { CiphertextBlob } = await ok('Encrypt', { KeyId: keyId, Plaintext: b64(big) });
    expect(unb64((await ok('Decrypt', { CiphertextBlob })).Plaintext)).toEqual(big);
    await refused('Encrypt', { KeyId: keyId, Plaintext: b64(new Uint8Array(4097)) }, 'ValidationException');
    await refused('Encrypt', { KeyId: keyId, Plaintext: '' }, 'ValidationException');
  });

  it('refuses a wrong, missing or extra encryption context', async () => {
    const keyId = await createKey();
    const { CiphertextBlob } = await ok('Encrypt', { KeyId: keyId, Plaintext: 'c2VjcmV0', EncryptionContext: context });
    await refused('Decrypt', { CiphertextBlob }, 'InvalidCiphertextException');
    await refused('Decrypt', { CiphertextBlob, EncryptionContext: { ...context, tenant: 'other' } }, 'InvalidCiphertextException');
    await refused('Decrypt', { CiphertextBlob, EncryptionContext: { ...context, extra: '' } }, 'InvalidCiphertextException');
    await refused('Decrypt', { CiphertextBlob, EncryptionContext: { tenant: 'acme' } }, 'InvalidCiphertextException');
  });

  it('refuses a ciphertext under another KeyId with IncorrectKeyException', async () => {
    const [a, b] = await Promise.all([createKey(), createKey()]);
    const { CiphertextBlob } = await ok('Encrypt', { KeyId: a, Plaintext: 'c2VjcmV0' });
    await refused('Decrypt', { CiphertextBlob, KeyId: b }, 'IncorrectKeyException');
  });

  it('refuses truncated, bit-flipped and foreign blobs with InvalidCiphertextException', async () => {
    const keyId = await createKey();
    const { CiphertextBlob } = await ok('Encrypt', { KeyId: keyId, Plaintext: 'c2VjcmV0' });
    const bytes = unb64(CiphertextBlob);
    await refused('Decrypt', { CiphertextBlob: b64(bytes.subarray(0, bytes.length - 1)) }, 'InvalidCiphertextException');
    await refused('Decrypt', { CiphertextBlob: b64(bytes.subarray(0, 20)) }, 'InvalidCiphertextException');
    for (const position of [2, 45, 60, bytes.length - 1]) {
      const flipped = bytes.slice();
      flipped[position]! ^= 0x01;
      await refused('Decrypt', { CiphertextBlob: b64(flipped) }, 'InvalidCiphertextException');
    }
    // An AWS KMS blob, or any bytes that are not ours.
    await refused('Decrypt', { CiphertextBlob: b64(crypto.getRandomValues(new Uint8Array(184))) }, 'InvalidCiphertextException');
    await refused('Decrypt', { CiphertextBlob: 'not base64!' }, 'ValidationException');
  });
});

describe('ReEncrypt', () => {
  it('moves a ciphertext to another key and context without exposing the plaintext', async () => {
    const [source, destination] = await Promise.all([createKey(), createKey()]);
    const plaintext = b64(utf8('re-encrypt me'));
    const { CiphertextBlob } = await ok('Encrypt', { KeyId: source, Plaintext: plaintext, EncryptionContext: context });
    const moved = await ok('ReEncrypt', {
      CiphertextBlob,
      SourceEncryptionContext: context,
      DestinationKeyId: destination,
      DestinationEncryptionContext: { stage: 'two' },
    });
    expect(moved).not.toHaveProperty('Plaintext');
    expect(moved.SourceKeyId).toContain(source);
    expect(moved.KeyId).toContain(destination);
    const decrypted = await ok('Decrypt', { CiphertextBlob: moved.CiphertextBlob, EncryptionContext: { stage: 'two' } });
    expect(decrypted.Plaintext).toBe(plaintext);
    expect(decrypted.KeyId).toContain(destination);
    await refused('ReEncrypt', { CiphertextBlob, DestinationKeyId: destination }, 'InvalidCiphertextException');
  });

  it('refuses when the destination is disabled', async () => {
    const [source, destination] = await Promise.all([createKey(), createKey()]);
    const { CiphertextBlob } = await ok('Encrypt', { KeyId: source, Plaintext: 'aGk=' });
    await ok('DisableKey', { KeyId: destination });
    await refused('ReEncrypt', { CiphertextBlob, DestinationKeyId: destination }, 'DisabledException');
  });
});

describe('GenerateDataKey, GenerateDataKeyWithoutPlaintext, GenerateRandom', () => {
  it('generates AES_256, AES_128 and NumberOfBytes data keys that decrypt', async () => {
    const keyId = await createKey();
    for (const [request, length] of [
      [{ KeySpec: 'AES_256' }, 32],
      [{ KeySpec: 'AES_128' }, 16],
      [{ NumberOfBytes: 1 }, 1],
      [{ NumberOfBytes: 1024 }, 1024],
    ] as const) {
      const dataKey = await ok('GenerateDataKey', { KeyId: keyId, EncryptionContext: context, ...request });
      expect(unb64(dataKey.Plaintext)).toHaveLength(length);
      const decrypted = await ok('Decrypt', { CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: context });
      expect(decrypted.Plaintext).toBe(dataKey.Plaintext);
    }
  });

  it('two data keys differ', async () => {
    const keyId = await createKey();
    const [a, b] = await Promise.all([
      ok('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' }),
      ok('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' }),
    ]);
    expect(a.Plaintext).not.toBe(b.Plaintext);
  });

  it('refuses both or neither of KeySpec and NumberOfBytes, and out-of-range sizes', async () => {
    const keyId = await createKey();
    await refused('GenerateDataKey', { KeyId: keyId }, 'ValidationException');
    await refused('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', NumberOfBytes: 32 }, 'ValidationException');
    await refused('GenerateDataKey', { KeyId: keyId, NumberOfBytes: 1025 }, 'ValidationException');
    await refused('GenerateDataKey', { KeyId: keyId, NumberOfBytes: 0 }, 'ValidationException');
    await refused('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_512' }, 'ValidationException');
  });

  it('GenerateDataKeyWithoutPlaintext returns only the ciphertext, which decrypts', async () => {
    const keyId = await createKey();
    const dataKey = await ok('GenerateDataKeyWithoutPlaintext', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context });
    expect(dataKey).not.toHaveProperty('Plaintext');
    const decrypted = await ok('Decrypt', { CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: context });
    expect(unb64(decrypted.Plaintext)).toHaveLength(32);
  });

  it('GenerateRandom returns the requested number of bytes', async () => {
    const { Plaintext } = await ok('GenerateRandom', { NumberOfBytes: 1024 });
    expect(unb64(Plaintext)).toHaveLength(1024);
    await refused('GenerateRandom', { NumberOfBytes: 1025 }, 'ValidationException');
    await refused('GenerateRandom', {}, 'ValidationException');
  });
});

describe('RSA encryption', () => {
  it.each(['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'])('encrypts with %s, decrypts with KeyId, and refuses without it', async (EncryptionAlgorithm) => {
    const keyId = await createKey({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' });
    const plaintext = b64(utf8('rsa secret'));
    const encrypted = await ok('Encrypt', { KeyId: keyId, Plaintext: plaintext, EncryptionAlgorithm });
    expect(unb64(encrypted.CiphertextBlob)).toHaveLength(256);
    const decrypted = await ok('Decrypt', { KeyId: keyId, CiphertextBlob: encrypted.CiphertextBlob, EncryptionAlgorithm });
    expect(decrypted.Plaintext).toBe(plaintext);
    await refused('Decrypt', { CiphertextBlob: encrypted.CiphertextBlob, EncryptionAlgorithm }, 'InvalidCiphertextException');
    const flipped = unb64(encrypted.CiphertextBlob);
    flipped[100]! ^= 1;
    await refused('Decrypt', { KeyId: keyId, CiphertextBlob: b64(flipped), EncryptionAlgorithm }, 'InvalidCiphertextException');
  });

  it('refuses SYMMETRIC_DEFAULT on an RSA key, OAEP on a symmetric key, and oversized plaintext', async () => {
    const rsa = await createKey({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' });
    const aes = await createKey();
    await refused('Encrypt', { KeyId: rsa, Plaintext: 'aGk=' }, 'InvalidKeyUsageException');
    await refused('Encrypt', { KeyId: aes, Plaintext: 'aGk=', EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }, 'InvalidKeyUsageException');
    await refused('Encrypt', { KeyId: rsa, Plaintext: b64(new Uint8Array(191)), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }, 'ValidationException');
    await ok('Encrypt', { KeyId: rsa, Plaintext: b64(new Uint8Array(190)), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' });
  });
});
