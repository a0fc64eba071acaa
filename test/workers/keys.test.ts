import { describe, expect, it } from 'vitest';
import { createKey, kms, ok, refused } from './helpers';

const SPECS: Array<[string, string, Record<string, string[]>]> = [
  ['SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', { EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'] }],
  ['HMAC_256', 'GENERATE_VERIFY_MAC', { MacAlgorithms: ['HMAC_SHA_256'] }],
  ['HMAC_384', 'GENERATE_VERIFY_MAC', { MacAlgorithms: ['HMAC_SHA_384'] }],
  ['HMAC_512', 'GENERATE_VERIFY_MAC', { MacAlgorithms: ['HMAC_SHA_512'] }],
  ['ECC_NIST_P256', 'SIGN_VERIFY', { SigningAlgorithms: ['ECDSA_SHA_256'] }],
  ['ECC_NIST_P384', 'SIGN_VERIFY', { SigningAlgorithms: ['ECDSA_SHA_384'] }],
  ['ECC_NIST_EDWARDS25519', 'SIGN_VERIFY', { SigningAlgorithms: ['ED25519_SHA_512'] }],
  ['RSA_2048', 'ENCRYPT_DECRYPT', { EncryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] }],
  ['RSA_3072', 'SIGN_VERIFY', { SigningAlgorithms: expect.arrayContaining(['RSASSA_PSS_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_256']) }],
  ['RSA_4096', 'ENCRYPT_DECRYPT', { EncryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] }],
];

describe('CreateKey and DescribeKey', () => {
  it.each(SPECS)('creates a %s key for %s', async (KeySpec, KeyUsage, algorithms) => {
    const { KeyMetadata } = await ok('CreateKey', { KeySpec, KeyUsage, Description: `a ${KeySpec} key` });
    expect(KeyMetadata).toMatchObject({
      KeySpec,
      KeyUsage,
      KeyState: 'Enabled',
      Enabled: true,
      Description: `a ${KeySpec} key`,
      AWSAccountId: '111122223333',
      Origin: 'AWS_KMS',
      Arn: `arn:aws:kms:us-east-1:111122223333:key/${KeyMetadata.KeyId}`,
      ...algorithms,
    });
    const described = await ok('DescribeKey', { KeyId: KeyMetadata.KeyId });
    expect(described.KeyMetadata).toEqual(KeyMetadata);
  });

  it('defaults to a symmetric encryption key', async () => {
    const { KeyMetadata } = await ok('CreateKey', {});
    expect(KeyMetadata).toMatchObject({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', Description: '' });
  });

  it('accepts the deprecated CustomerMasterKeySpec', async () => {
    const { KeyMetadata } = await ok('CreateKey', { CustomerMasterKeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    expect(KeyMetadata.KeySpec).toBe('HMAC_256');
  });

  it('refuses a usage the spec does not allow', async () => {
    await refused('CreateKey', { KeySpec: 'ECC_NIST_P256', KeyUsage: 'ENCRYPT_DECRYPT' }, 'InvalidKeyUsageException');
    await refused('CreateKey', { KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'SIGN_VERIFY' }, 'InvalidKeyUsageException');
    await refused('CreateKey', { KeySpec: 'HMAC_256', KeyUsage: 'ENCRYPT_DECRYPT' }, 'InvalidKeyUsageException');
  });

  it('refuses unknown specs and other origins (multi-Region keys: multi-region.test.ts)', async () => {
    await refused('CreateKey', { KeySpec: 'AES_512' }, 'ValidationException');
    await refused('CreateKey', { Origin: 'EXTERNAL' }, 'UnsupportedOperationException');
  });

  it('reports unknown keys as NotFoundException', async () => {
    await refused('DescribeKey', { KeyId: crypto.randomUUID() }, 'NotFoundException');
    await refused('DescribeKey', { KeyId: 'not-a-key' }, 'NotFoundException');
    await refused('DescribeKey', { KeyId: 'alias/does-not-exist' }, 'NotFoundException');
  });

  it('refuses a key ARN of another region', async () => {
    const keyId = await createKey();
    await refused('DescribeKey', { KeyId: `arn:aws:kms:eu-west-1:111122223333:key/${keyId}` }, 'NotFoundException');
    await ok('DescribeKey', { KeyId: `arn:aws:kms:us-east-1:111122223333:key/${keyId}` });
  });
});

describe('ListKeys', () => {
  it('pages through every key exactly once with Limit and Marker', async () => {
    const created = new Set(await Promise.all(Array.from({ length: 5 }, () => createKey())));
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await ok('ListKeys', { Limit: 2, ...(marker && { Marker: marker }) });
      expect(page.Keys.length).toBeLessThanOrEqual(2);
      for (const key of page.Keys) {
        expect(key.KeyArn).toBe(`arn:aws:kms:us-east-1:111122223333:key/${key.KeyId}`);
        seen.push(key.KeyId);
      }
      expect(page.Truncated).toBe(page.NextMarker !== undefined);
      marker = page.NextMarker;
      pages++;
    } while (marker);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(new Set(seen).size).toBe(seen.length);
    for (const keyId of created) expect(seen).toContain(keyId);
  });

  it('refuses a forged marker and an out-of-range limit', async () => {
    await refused('ListKeys', { Marker: '!!!' }, 'InvalidMarkerException');
    await refused('ListKeys', { Limit: 0 }, 'ValidationException');
    await refused('ListKeys', { Limit: 1001 }, 'ValidationException');
  });
});

describe('EnableKey and DisableKey', () => {
  it('a disabled key refuses cryptographic use with DisabledException until enabled', async () => {
    const keyId = await createKey();
    const { CiphertextBlob } = await ok('Encrypt', { KeyId: keyId, Plaintext: 'aGVsbG8=' });
    await ok('DisableKey', { KeyId: keyId });
    expect((await ok('DescribeKey', { KeyId: keyId })).KeyMetadata).toMatchObject({ KeyState: 'Disabled', Enabled: false });
    await refused('Encrypt', { KeyId: keyId, Plaintext: 'aGVsbG8=' }, 'DisabledException');
    await refused('Decrypt', { CiphertextBlob }, 'DisabledException');
    await refused('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' }, 'DisabledException');
    await ok('EnableKey', { KeyId: keyId });
    expect((await ok('Decrypt', { CiphertextBlob })).Plaintext).toBe('aGVsbG8=');
  });

  it('management operations refuse aliases, as AWS KMS does', async () => {
    const keyId = await createKey();
    const alias = `alias/mgmt-${crypto.randomUUID()}`;
    await ok('CreateAlias', { AliasName: alias, TargetKeyId: keyId });
    await refused('DisableKey', { KeyId: alias }, 'NotFoundException');
    await ok('DisableKey', { KeyId: `arn:aws:kms:us-east-1:111122223333:key/${keyId}` });
  });
});

describe('UpdateKeyDescription and tags', () => {
  it('updates the description', async () => {
    const keyId = await createKey({ Description: 'before' });
    await ok('UpdateKeyDescription', { KeyId: keyId, Description: 'after' });
    expect((await ok('DescribeKey', { KeyId: keyId })).KeyMetadata.Description).toBe('after');
    await refused('UpdateKeyDescription', { KeyId: keyId, Description: 'x'.repeat(8193) }, 'ValidationException');
  });

  it('tags on create, adds, overwrites, removes and pages', async () => {
    const keyId = await createKey({ Tags: [{ TagKey: 'team', TagValue: 'red' }] });
    await ok('TagResource', {
      KeyId: keyId,
      Tags: [
        { TagKey: 'team', TagValue: 'blue' },
        { TagKey: 'env', TagValue: 'test' },
        { TagKey: 'cost', TagValue: '' },
      ],
    });
    const first = await ok('ListResourceTags', { KeyId: keyId, Limit: 2 });
    expect(first.Tags).toEqual([
      { TagKey: 'cost', TagValue: '' },
      { TagKey: 'env', TagValue: 'test' },
    ]);
    expect(first.Truncated).toBe(true);
    const second = await ok('ListResourceTags', { KeyId: keyId, Limit: 2, Marker: first.NextMarker });
    expect(second).toEqual({ Tags: [{ TagKey: 'team', TagValue: 'blue' }], Truncated: false });
    await ok('UntagResource', { KeyId: keyId, TagKeys: ['env', 'cost'] });
    expect((await ok('ListResourceTags', { KeyId: keyId })).Tags).toEqual([{ TagKey: 'team', TagValue: 'blue' }]);
  });

  it('refuses reserved and excessive tags', async () => {
    const keyId = await createKey();
    await refused('TagResource', { KeyId: keyId, Tags: [{ TagKey: 'aws:owner', TagValue: 'x' }] }, 'TagException');
    await refused('CreateKey', { Tags: [{ TagKey: 'AWS:x', TagValue: 'x' }] }, 'TagException');
    const many = Array.from({ length: 30 }, (_, i) => ({ TagKey: `k${i}`, TagValue: 'v' }));
    await ok('TagResource', { KeyId: keyId, Tags: many });
    const more = Array.from({ length: 30 }, (_, i) => ({ TagKey: `m${i}`, TagValue: 'v' }));
    await refused('TagResource', { KeyId: keyId, Tags: more }, 'TagException');
    await refused('TagResource', { KeyId: keyId, Tags: [{ TagKey: '', TagValue: 'x' }] }, 'ValidationException');
  });
});

describe('wrong key usage', () => {
  it('each operation refuses a key of the wrong usage with InvalidKeyUsageException', async () => {
    const hmac = await createKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    const ecc = await createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    const aes = await createKey();
    await refused('Encrypt', { KeyId: hmac, Plaintext: 'aGk=' }, 'InvalidKeyUsageException');
    await refused('GenerateDataKey', { KeyId: ecc, KeySpec: 'AES_256' }, 'InvalidKeyUsageException');
    await refused('Sign', { KeyId: aes, Message: 'aGk=', SigningAlgorithm: 'ECDSA_SHA_256' }, 'InvalidKeyUsageException');
    await refused('GenerateMac', { KeyId: ecc, Message: 'aGk=', MacAlgorithm: 'HMAC_SHA_256' }, 'InvalidKeyUsageException');
    await refused('GenerateMac', { KeyId: hmac, Message: 'aGk=', MacAlgorithm: 'HMAC_SHA_512' }, 'InvalidKeyUsageException');
    await refused('Sign', { KeyId: ecc, Message: 'aGk=', SigningAlgorithm: 'ECDSA_SHA_384' }, 'InvalidKeyUsageException');
    await refused('GetPublicKey', { KeyId: aes }, 'UnsupportedOperationException');
    const status = await kms('EnableKeyRotation', { KeyId: ecc });
    expect(status.body.__type).toBe('UnsupportedOperationException');
  });
});
