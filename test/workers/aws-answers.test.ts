/**
 * AWS KMS's exact answers where EdgeKMS used to differ (issue 14, "Defects found"): what infrastructure
 * tools and AWS-verified test suites read, field by field and message by message.
 */
import { describe, expect, it } from 'vitest';
import { asUser, b64, createKey, kms, ok, refused, utf8 } from './helpers';

const ACCOUNT = '111122223333';
const aliasName = () => `alias/answers-${crypto.randomUUID()}`;

async function message(operation: string, body: unknown): Promise<string> {
  const response = await kms(operation, body);
  expect(response.status).toBeGreaterThanOrEqual(400);
  return response.body.message as string;
}

describe('GetKeyRotationStatus', () => {
  it('answers KeyRotationEnabled false for asymmetric and HMAC keys, as AWS does, instead of an error', async () => {
    for (const body of [
      { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' },
      { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' },
      { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' },
    ]) {
      const keyId = await createKey(body);
      const status = await ok('GetKeyRotationStatus', { KeyId: keyId });
      expect(status).toEqual({ KeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/${keyId}`, KeyRotationEnabled: false });
      // Turning rotation on is still refused for them.
      await refused('EnableKeyRotation', { KeyId: keyId }, 'UnsupportedOperationException');
    }
  });

  it('reports no OnDemandRotationStartDate once RotateKeyOnDemand has answered (the rotation is complete)', async () => {
    const keyId = await createKey();
    await ok('RotateKeyOnDemand', { KeyId: keyId });
    const status = await ok('GetKeyRotationStatus', { KeyId: keyId });
    expect(status).not.toHaveProperty('OnDemandRotationStartDate');
    expect((await ok('ListKeyRotations', { KeyId: keyId })).Rotations).toHaveLength(1);
  });
});

describe('tags', () => {
  const tags = (count: number) => Array.from({ length: count }, (_, i) => ({ TagKey: `k${i}`, TagValue: 'v' }));

  it('refuses duplicate tag keys in one request with TagException, on CreateKey and TagResource', async () => {
    const twice = [
      { TagKey: 'team', TagValue: 'a' },
      { TagKey: 'team', TagValue: 'b' },
    ];
    const created = await refused('CreateKey', { Tags: twice }, 'TagException');
    expect(created.body.message).toBe('Duplicate tag keys');
    const keyId = await createKey();
    const tagged = await refused('TagResource', { KeyId: keyId, Tags: twice }, 'TagException');
    expect(tagged.body.message).toBe('Duplicate tag keys');
    expect((await ok('ListResourceTags', { KeyId: keyId })).Tags).toEqual([]);
  });

  it('refuses more than 50 tags with TagException, not ValidationException', async () => {
    await refused('CreateKey', { Tags: tags(51) }, 'TagException');
    const keyId = await createKey({ Tags: tags(50) });
    await refused('TagResource', { KeyId: keyId, Tags: [{ TagKey: 'one-more', TagValue: 'v' }] }, 'TagException');
    await refused('TagResource', { KeyId: keyId, Tags: tags(51) }, 'TagException');
  });
});

describe('alias names', () => {
  it('answers ValidationException with AWS messages for names outside the pattern, without the prefix, or with ":"', async () => {
    const keyId = await createKey();
    expect((await refused('CreateAlias', { AliasName: 'alias/my-alias!', TargetKeyId: keyId }, 'ValidationException')).body.message).toBe(
      "1 validation error detected: Value 'alias/my-alias!' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
    );
    expect((await refused('CreateAlias', { AliasName: 'wrongprefix/x', TargetKeyId: keyId }, 'ValidationException')).body.message).toBe('Invalid identifier');
    expect((await refused('DeleteAlias', { AliasName: 'wrongprefix/x' }, 'ValidationException')).body.message).toBe('Invalid identifier');
    expect((await refused('UpdateAlias', { AliasName: 'no-prefix', TargetKeyId: keyId }, 'ValidationException')).body.message).toBe('Invalid identifier');
    expect((await refused('CreateAlias', { AliasName: 'alias/my:alias', TargetKeyId: keyId }, 'ValidationException')).body.message).toBe(
      'alias/my:alias contains invalid characters for an alias',
    );
    await ok('CreateAlias', { AliasName: `alias/ok_${crypto.randomUUID()}-/`, TargetKeyId: keyId });
  });

  it('answers NotAuthorizedException, with no message, for the reserved alias/aws/ prefix', async () => {
    const keyId = await createKey();
    const response = await refused('CreateAlias', { AliasName: 'alias/aws/s3', TargetKeyId: keyId }, 'NotAuthorizedException');
    expect(response.body.message).toBe('');
  });

  it('refuses an alias as the target of CreateAlias and UpdateAlias with ValidationException', async () => {
    const keyId = await createKey();
    const alias = aliasName();
    await ok('CreateAlias', { AliasName: alias, TargetKeyId: keyId });
    for (const target of [alias, `arn:aws:kms:us-east-1:${ACCOUNT}:${alias}`]) {
      const created = await refused('CreateAlias', { AliasName: aliasName(), TargetKeyId: target }, 'ValidationException');
      expect(created.body.message).toBe('Aliases must refer to keys. Not aliases');
      await refused('UpdateAlias', { AliasName: alias, TargetKeyId: target }, 'ValidationException');
    }
  });

  it('names an existing or unknown alias by its ARN, as AWS does', async () => {
    const keyId = await createKey();
    const alias = aliasName();
    await ok('CreateAlias', { AliasName: alias, TargetKeyId: keyId });
    expect((await refused('CreateAlias', { AliasName: alias, TargetKeyId: keyId }, 'AlreadyExistsException')).body.message).toBe(
      `An alias with the name arn:aws:kms:us-east-1:${ACCOUNT}:${alias} already exists`,
    );
    const unknown = aliasName();
    expect((await refused('DeleteAlias', { AliasName: unknown }, 'NotFoundException')).body.message).toBe(
      `Alias arn:aws:kms:us-east-1:${ACCOUNT}:${unknown} is not found.`,
    );
  });

  it('answers "Invalid keyId" for an alias where a key id is required and for a malformed key id', async () => {
    const keyId = await createKey();
    const alias = aliasName();
    await ok('CreateAlias', { AliasName: alias, TargetKeyId: keyId });
    expect((await refused('EnableKeyRotation', { KeyId: alias }, 'NotFoundException')).body.message).toBe(`Invalid keyId ${alias}`);
    expect((await refused('DescribeKey', { KeyId: 'unknown' }, 'NotFoundException')).body.message).toBe('Invalid keyId unknown');
  });
});

describe('KeyMetadata per key spec', () => {
  it('carries CurrentKeyMaterialId only for keys whose material rotates, and the algorithms of the key usage only', async () => {
    const cases = [
      { body: {}, material: true, algorithms: { EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'] } },
      { body: { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }, material: false, algorithms: { MacAlgorithms: ['HMAC_SHA_256'] } },
      { body: { KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' }, material: false, algorithms: { EncryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] } },
      { body: { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }, material: false, algorithms: { SigningAlgorithms: ['ECDSA_SHA_256'] } },
    ];
    for (const { body, material, algorithms } of cases) {
      const created = (await ok('CreateKey', body)).KeyMetadata;
      const described = (await ok('DescribeKey', { KeyId: created.KeyId })).KeyMetadata;
      for (const metadata of [created, described]) {
        expect(metadata.CurrentKeyMaterialId !== undefined, JSON.stringify(body)).toBe(material);
        expect(metadata).toMatchObject({ ...algorithms, Origin: 'AWS_KMS', KeyManager: 'CUSTOMER', MultiRegion: false });
        for (const field of ['EncryptionAlgorithms', 'SigningAlgorithms', 'MacAlgorithms', 'KeyAgreementAlgorithms']) {
          if (!(field in algorithms)) expect(metadata, `${field} of ${JSON.stringify(body)}`).not.toHaveProperty(field);
        }
        expect(metadata).not.toHaveProperty('ValidTo');
        expect(metadata).not.toHaveProperty('DeletionDate');
      }
    }
  });
});

describe('the default key policy', () => {
  it("is AWS KMS's default key policy, Sid included", async () => {
    const keyId = await createKey();
    const { Policy } = await ok('GetKeyPolicy', { KeyId: keyId, PolicyName: 'default' });
    expect(JSON.parse(Policy)).toEqual({
      Version: '2012-10-17',
      Id: 'key-default-1',
      Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }],
    });
  });
});

describe('DryRun', () => {
  const DRY = 'DryRunOperationException';

  it('answers DryRunOperationException, and does nothing, on every cryptographic operation whose model has DryRun', async () => {
    const keyId = await createKey();
    const { CiphertextBlob } = await ok('Encrypt', { KeyId: keyId, Plaintext: b64(utf8('hi')) });
    const signer = await createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    const { Signature } = await ok('Sign', { KeyId: signer, Message: b64(utf8('m')), SigningAlgorithm: 'ECDSA_SHA_256' });
    const hmac = await createKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    const { Mac } = await ok('GenerateMac', { KeyId: hmac, Message: b64(utf8('m')), MacAlgorithm: 'HMAC_SHA_256' });
    const agreement = await createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' });
    const peer = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits'])) as CryptoKeyPair;
    const peerPublicKey = b64(new Uint8Array((await crypto.subtle.exportKey('spki', peer.publicKey)) as ArrayBuffer));
    const calls: [string, Record<string, unknown>][] = [
      ['Encrypt', { KeyId: keyId, Plaintext: b64(utf8('secret')) }],
      ['Decrypt', { CiphertextBlob }],
      ['ReEncrypt', { CiphertextBlob, DestinationKeyId: keyId }],
      ['GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' }],
      ['GenerateDataKeyWithoutPlaintext', { KeyId: keyId, NumberOfBytes: 16 }],
      ['Sign', { KeyId: signer, Message: b64(utf8('m')), SigningAlgorithm: 'ECDSA_SHA_256' }],
      ['Verify', { KeyId: signer, Message: b64(utf8('m')), Signature, SigningAlgorithm: 'ECDSA_SHA_256' }],
      ['GenerateMac', { KeyId: hmac, Message: b64(utf8('m')), MacAlgorithm: 'HMAC_SHA_256' }],
      ['VerifyMac', { KeyId: hmac, Message: b64(utf8('m')), Mac, MacAlgorithm: 'HMAC_SHA_256' }],
      ['GenerateDataKeyPair', { KeyId: keyId, KeyPairSpec: 'ECC_NIST_P256' }],
      ['GenerateDataKeyPairWithoutPlaintext', { KeyId: keyId, KeyPairSpec: 'ECC_NIST_P256' }],
      ['DeriveSharedSecret', { KeyId: agreement, KeyAgreementAlgorithm: 'ECDH', PublicKey: peerPublicKey }],
    ];
    for (const [operation, body] of calls) {
      const response = await refused(operation, { ...body, DryRun: true }, DRY);
      for (const field of ['Plaintext', 'CiphertextBlob', 'PrivateKeyPlaintext', 'PrivateKeyCiphertextBlob', 'SharedSecret']) {
        expect(response.body).not.toHaveProperty(field);
      }
      // DryRun false is the ordinary request.
      await ok(operation, { ...body, DryRun: false });
    }
  });

  it('answers the error the request would have met instead: key state, key usage, permission', async () => {
    const keyId = await createKey();
    await ok('DisableKey', { KeyId: keyId });
    await refused('Encrypt', { KeyId: keyId, Plaintext: b64(utf8('x')), DryRun: true }, 'DisabledException');
    const signer = await createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    await refused('GenerateDataKey', { KeyId: signer, KeySpec: 'AES_256', DryRun: true }, 'InvalidKeyUsageException');
    const enabled = await createKey();
    const denied = await asUser('dry-run-stranger', 'Encrypt', { KeyId: enabled, Plaintext: b64(utf8('x')), DryRun: true });
    expect(denied.body.__type).toBe('AccessDeniedException');
  });

  it('checks CreateGrant, RevokeGrant and RetireGrant without changing the grants', async () => {
    const keyId = await createKey();
    const grantee = `arn:aws:iam::${ACCOUNT}:role/dry-run`;
    await refused('CreateGrant', { KeyId: keyId, GranteePrincipal: grantee, Operations: ['Encrypt'], DryRun: true }, DRY);
    expect((await ok('ListGrants', { KeyId: keyId })).Grants).toEqual([]);
    const { GrantId, GrantToken } = await ok('CreateGrant', { KeyId: keyId, GranteePrincipal: grantee, Operations: ['Encrypt'] });
    await refused('RevokeGrant', { KeyId: keyId, GrantId, DryRun: true }, DRY);
    await refused('RetireGrant', { GrantToken, DryRun: true }, DRY);
    await refused('RetireGrant', { KeyId: keyId, GrantId, DryRun: true }, DRY);
    expect((await ok('ListGrants', { KeyId: keyId })).Grants).toHaveLength(1);
  });
});

describe('validation messages', () => {
  it('quote the value and name the member in lowerCamel case, with the constraint in AWS words', async () => {
    expect(await message('CreateKey', { KeySpec: 'NotSupportedKeySpec' })).toMatch(
      /^1 validation error detected: Value 'NotSupportedKeySpec' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: \[[A-Z0-9_, ]+\]$/,
    );
    expect(await message('DescribeKey', { KeyId: '' })).toBe(
      "1 validation error detected: Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    expect(await message('DescribeKey', {})).toBe("1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null");
    expect(await message('GenerateRandom', { NumberOfBytes: 2000 })).toBe(
      "1 validation error detected: Value '2000' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
    );
    expect(await message('CreateKey', { Tags: [{ TagKey: '', TagValue: 'v' }] })).toBe(
      "1 validation error detected: Value '' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  });

  it('never quote bytes: a plaintext, message or ciphertext is named, not repeated', async () => {
    const keyId = await createKey();
    const text = await message('Encrypt', { KeyId: keyId, Plaintext: 'not base64!' });
    expect(text).not.toContain('not base64');
    expect(text).toMatch(/^1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must/);
    expect(await message('Sign', { KeyId: keyId, Message: '', SigningAlgorithm: 'ECDSA_SHA_256' })).toBe(
      "1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  });

  it('count several violations and separate them with "; "', async () => {
    const text = await message('GenerateDataKey', { KeyId: '', NumberOfBytes: 0 });
    expect(text).toMatch(/^2 validation errors detected: Value '' at 'keyId' .+; Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1$/);
  });
});

describe('refusals AWS sends without a message', () => {
  it('InvalidCiphertextException, KMSInvalidSignatureException and KMSInvalidMacException carry an empty message', async () => {
    const keyId = await createKey();
    const { CiphertextBlob } = await ok('Encrypt', { KeyId: keyId, Plaintext: b64(utf8('x')), EncryptionContext: { a: '1' } });
    const wrongContext = await refused('Decrypt', { CiphertextBlob, EncryptionContext: { a: '2' } }, 'InvalidCiphertextException');
    expect(wrongContext.body.message).toBe('');
    const garbage = await refused('Decrypt', { CiphertextBlob: b64(new Uint8Array(64).fill(7)) }, 'InvalidCiphertextException');
    expect(garbage.body.message).toBe('');

    const signer = await createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    const { Signature } = await ok('Sign', { KeyId: signer, Message: b64(utf8('m')), SigningAlgorithm: 'ECDSA_SHA_256' });
    const badSignature = await refused('Verify', { KeyId: signer, Message: b64(utf8('other')), Signature, SigningAlgorithm: 'ECDSA_SHA_256' }, 'KMSInvalidSignatureException');
    expect(badSignature.body.message).toBe('');

    const hmac = await createKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    const badMac = await refused('VerifyMac', { KeyId: hmac, Message: b64(utf8('m')), Mac: b64(new Uint8Array(32)), MacAlgorithm: 'HMAC_SHA_256' }, 'KMSInvalidMacException');
    expect(badMac.body.message).toBe('');
  });
});

describe('operations of the model that EdgeKMS does not offer', () => {
  it('answer UnsupportedOperationException with the reason, not UnknownOperationException', async () => {
    for (const operation of ['ImportKeyMaterial', 'GetParametersForImport', 'DeleteImportedKeyMaterial', 'CreateCustomKeyStore', 'DescribeCustomKeyStores', 'ConnectCustomKeyStore', 'DisconnectCustomKeyStore', 'UpdateCustomKeyStore', 'DeleteCustomKeyStore']) {
      const response = await refused(operation, {}, 'UnsupportedOperationException');
      expect(response.body.message).toMatch(/not supported/);
    }
  });
});

describe('KeyMaterialId in data key and Decrypt answers', () => {
  it('names the key material that encrypted the data key, and that Decrypt used, as ListKeyRotations and DescribeKey name it', async () => {
    const keyId = await createKey();
    const { KeyMetadata } = await ok('DescribeKey', { KeyId: keyId });
    const first = await ok('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' });
    expect(first.KeyMaterialId).toBe(KeyMetadata.CurrentKeyMaterialId);
    expect(first.KeyMaterialId).toMatch(/^[a-f0-9]{64}$/);

    await ok('RotateKeyOnDemand', { KeyId: keyId });
    const [rotation] = (await ok('ListKeyRotations', { KeyId: keyId })).Rotations;
    const second = await ok('GenerateDataKeyWithoutPlaintext', { KeyId: keyId, KeySpec: 'AES_256' });
    expect(second.KeyMaterialId).toBe(rotation.KeyMaterialId);
    expect(second.KeyMaterialId).not.toBe(first.KeyMaterialId);

    // Each ciphertext decrypts under the material it names, the older one included.
    expect((await ok('Decrypt', { CiphertextBlob: first.CiphertextBlob })).KeyMaterialId).toBe(first.KeyMaterialId);
    expect((await ok('Decrypt', { CiphertextBlob: second.CiphertextBlob })).KeyMaterialId).toBe(second.KeyMaterialId);
  });

  it('is absent where AWS omits it: Decrypt with an asymmetric key', async () => {
    const keyId = await createKey({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' });
    const { CiphertextBlob } = await ok('Encrypt', { KeyId: keyId, Plaintext: b64(utf8('x')), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' });
    const decrypted = await ok('Decrypt', { KeyId: keyId, CiphertextBlob, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' });
    expect(decrypted).not.toHaveProperty('KeyMaterialId');
  });
});
