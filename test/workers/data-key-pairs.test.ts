import { describe, expect, it } from 'vitest';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keyMaterialId } from '../../worker/operations/shapes';
import { asUser, createKey, ok, refused, unb64, utf8 } from './helpers';

/**
 * GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext: the private
 * key (PKCS#8) comes back encrypted under the symmetric key with the
 * encryption context, as Encrypt would make it, so Decrypt returns it; and
 * the private key so returned belongs to the public key (it signs what the
 * public key verifies, or decrypts what it encrypts).
 */
const WEBCRYPTO_PAIRS = [
  ['RSA_2048', { name: 'RSA-PSS', hash: 'SHA-256' }, { name: 'RSA-PSS', saltLength: 32 }],
  ['RSA_3072', { name: 'RSA-PSS', hash: 'SHA-256' }, { name: 'RSA-PSS', saltLength: 32 }],
  ['RSA_4096', { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, { name: 'RSASSA-PKCS1-v1_5' }],
  ['ECC_NIST_P256', { name: 'ECDSA', namedCurve: 'P-256' }, { name: 'ECDSA', hash: 'SHA-256' }],
  ['ECC_NIST_P384', { name: 'ECDSA', namedCurve: 'P-384' }, { name: 'ECDSA', hash: 'SHA-384' }],
  ['ECC_NIST_P521', { name: 'ECDSA', namedCurve: 'P-521' }, { name: 'ECDSA', hash: 'SHA-512' }],
  ['ECC_NIST_EDWARDS25519', { name: 'Ed25519' }, { name: 'Ed25519' }],
] as const;

/** Whether the PKCS#8 private key signs what the SPKI public key verifies (WebCrypto on both halves). */
async function pairMatches(pkcs8: Uint8Array, spki: Uint8Array, importParams: any, signParams: any): Promise<boolean> {
  const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, importParams, false, ['sign']);
  const publicKey = await crypto.subtle.importKey('spki', spki, importParams, false, ['verify']);
  const message = utf8('made by the data key pair');
  return crypto.subtle.verify(signParams, publicKey, await crypto.subtle.sign(signParams, privateKey, message), message);
}

describe('GenerateDataKeyPair', () => {
  it.each(WEBCRYPTO_PAIRS)('%s: a PKCS#8 private key, its SPKI public key, and the private key encrypted under the KMS key with the context', async (KeyPairSpec, importParams, signParams) => {
    const keyId = await createKey();
    const EncryptionContext = { purpose: 'data key pair', spec: KeyPairSpec };
    const pair = await ok('GenerateDataKeyPair', { KeyId: keyId, KeyPairSpec, EncryptionContext });
    const { KeyMetadata } = await ok('DescribeKey', { KeyId: keyId });
    expect(Object.keys(pair).sort()).toEqual(['EdgeKmsReceipt', 'KeyId', 'KeyMaterialId', 'KeyPairSpec', 'PrivateKeyCiphertextBlob', 'PrivateKeyPlaintext', 'PublicKey']);
    expect(pair).toMatchObject({ KeyId: KeyMetadata.Arn, KeyPairSpec });
    expect(pair.KeyMaterialId).toMatch(/^[a-f0-9]{64}$/);
    expect(pair.KeyMaterialId).toBe(KeyMetadata.CurrentKeyMaterialId);
    const pkcs8 = unb64(pair.PrivateKeyPlaintext);
    const spki = unb64(pair.PublicKey);
    expect(await pairMatches(pkcs8, spki, importParams, signParams)).toBe(true);

    const decrypted = await ok('Decrypt', { CiphertextBlob: pair.PrivateKeyCiphertextBlob, EncryptionContext });
    expect(decrypted.Plaintext).toBe(pair.PrivateKeyPlaintext);
    await refused('Decrypt', { CiphertextBlob: pair.PrivateKeyCiphertextBlob }, 'InvalidCiphertextException');
    await refused('Decrypt', { CiphertextBlob: pair.PrivateKeyCiphertextBlob, EncryptionContext: { ...EncryptionContext, purpose: 'other' } }, 'InvalidCiphertextException');

    const without = await ok('GenerateDataKeyPairWithoutPlaintext', { KeyId: keyId, KeyPairSpec, EncryptionContext });
    expect(Object.keys(without).sort()).toEqual(['EdgeKmsReceipt', 'KeyId', 'KeyMaterialId', 'KeyPairSpec', 'PrivateKeyCiphertextBlob', 'PublicKey']);
    const privateKey = unb64((await ok('Decrypt', { CiphertextBlob: without.PrivateKeyCiphertextBlob, EncryptionContext })).Plaintext);
    expect(await pairMatches(privateKey, unb64(without.PublicKey), importParams, signParams)).toBe(true);
    expect(without.PublicKey).not.toBe(pair.PublicKey);
  });

  it('ECC_SECG_P256K1: the private key is PKCS#8 (RFC 5915 inside) of the scalar whose point the SPKI holds', async () => {
    const keyId = await createKey();
    const pair = await ok('GenerateDataKeyPair', { KeyId: keyId, KeyPairSpec: 'ECC_SECG_P256K1' });
    const pkcs8 = unb64(pair.PrivateKeyPlaintext);
    const spki = unb64(pair.PublicKey);
    expect(pkcs8).toHaveLength(135);
    expect(spki).toHaveLength(88);
    const scalar = pkcs8.subarray(33, 65);
    expect(Array.from(secp256k1.getPublicKey(scalar, false))).toEqual(Array.from(spki.subarray(23)));
    // The public point inside the PKCS#8 is the same point.
    expect(Array.from(pkcs8.subarray(70))).toEqual(Array.from(spki.subarray(23)));
    expect((await ok('Decrypt', { CiphertextBlob: pair.PrivateKeyCiphertextBlob })).Plaintext).toBe(pair.PrivateKeyPlaintext);
  });

  it('rotation: the private key is encrypted under the current version, which KeyMaterialId names', async () => {
    const keyId = await createKey();
    await ok('RotateKeyOnDemand', { KeyId: keyId });
    const pair = await ok('GenerateDataKeyPairWithoutPlaintext', { KeyId: keyId, KeyPairSpec: 'ECC_NIST_P256' });
    expect(pair.KeyMaterialId).toBe(keyMaterialId({ keyId, account: '', region: '' }, 2));
    expect(pair.KeyMaterialId).not.toBe(keyMaterialId({ keyId, account: '', region: '' }, 1));
  });

  it('refuses keys that cannot encrypt it, a disabled key, SM2, a Recipient and bad specs', async () => {
    const body = (KeyId: string, KeyPairSpec = 'ECC_NIST_P256') => ({ KeyId, KeyPairSpec });
    for (const spec of [
      { KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' },
      { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' },
      { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' },
      { KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' },
    ]) {
      const keyId = await createKey(spec);
      await refused('GenerateDataKeyPair', body(keyId), 'InvalidKeyUsageException');
      await refused('GenerateDataKeyPairWithoutPlaintext', body(keyId), 'InvalidKeyUsageException');
    }
    const keyId = await createKey();
    await refused('GenerateDataKeyPair', body(keyId, 'SM2'), 'UnsupportedOperationException');
    await refused('GenerateDataKeyPair', body(keyId, 'RSA_1024'), 'ValidationException');
    await refused('GenerateDataKeyPair', { KeyId: keyId }, 'ValidationException');
    await refused('GenerateDataKeyPair', { ...body(keyId), Recipient: { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', AttestationDocument: 'AAAA' } }, 'UnsupportedOperationException');
    await refused('GenerateDataKeyPair', body('alias/no-such-alias'), 'NotFoundException');
    await ok('DisableKey', { KeyId: keyId });
    await refused('GenerateDataKeyPair', body(keyId), 'DisabledException');
    await refused('GenerateDataKeyPairWithoutPlaintext', body(keyId), 'DisabledException');
  });

  it('is authorized as its own action, with kms:DataKeyPairSpec and the encryption context, and by a constrained grant', async () => {
    const account = '111122223333';
    const alice = `arn:aws:sts::${account}:federated-user/alice`;
    const keyId = await createKey({
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' },
          {
            Effect: 'Allow',
            Principal: { AWS: alice },
            Action: 'kms:GenerateDataKeyPair',
            Resource: '*',
            Condition: { StringEquals: { 'kms:DataKeyPairSpec': 'ECC_NIST_P256', 'kms:EncryptionContext:user': '${jwt:sub}' } },
          },
        ],
      }),
    });
    const request = { KeyId: keyId, KeyPairSpec: 'ECC_NIST_P256', EncryptionContext: { user: 'alice' } };
    expect((await asUser('alice', 'GenerateDataKeyPair', request)).status).toBe(200);
    expect((await asUser('alice', 'GenerateDataKeyPair', { ...request, KeyPairSpec: 'RSA_2048' })).body.__type).toBe('AccessDeniedException');
    expect((await asUser('alice', 'GenerateDataKeyPair', { ...request, EncryptionContext: { user: 'bob' } })).body.__type).toBe('AccessDeniedException');
    // Its own action: an allowance for the other one, or for GenerateDataKey, is not one for this.
    expect((await asUser('alice', 'GenerateDataKeyPairWithoutPlaintext', request)).body.__type).toBe('AccessDeniedException');

    await ok('CreateGrant', {
      KeyId: keyId,
      GranteePrincipal: `arn:aws:sts::${account}:federated-user/bob`,
      Operations: ['GenerateDataKeyPairWithoutPlaintext'],
      Constraints: { EncryptionContextSubset: { user: 'bob' } },
    });
    const bob = { KeyId: keyId, KeyPairSpec: 'RSA_2048', EncryptionContext: { user: 'bob' } };
    expect((await asUser('bob', 'GenerateDataKeyPairWithoutPlaintext', bob)).status).toBe(200);
    expect((await asUser('bob', 'GenerateDataKeyPairWithoutPlaintext', { ...bob, EncryptionContext: { user: 'alice' } })).body.__type).toBe('AccessDeniedException');
    expect((await asUser('bob', 'GenerateDataKeyPair', bob)).body.__type).toBe('AccessDeniedException');
  });
});
