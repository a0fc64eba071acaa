import {
  CreateKeyCommand,
  DecryptCommand,
  DeriveSharedSecretCommand,
  GenerateDataKeyPairCommand,
  GenerateDataKeyPairWithoutPlaintextCommand,
  GetKeyLastUsageCommand,
  GetPublicKeyCommand,
  SignCommand,
  VerifyCommand,
  type DataKeyPairSpec,
} from '@aws-sdk/client-kms';
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { kmsClient } from './kms-client';

/**
 * The operations and key specs of issue 14 through the official AWS SDK,
 * their bytes checked with Node's OpenSSL (node:crypto), which is independent
 * of both WebCrypto in workerd and @noble/curves: data key pairs whose private
 * key (decrypted again with Decrypt) belongs to their public key, ECDH
 * secrets equal to OpenSSL's, and P-521 and secp256k1 signatures both ways.
 */
const key = inject('accessKeys').admin;
const kms = kmsClient(key);
const der = (bytes: Uint8Array) => Buffer.from(bytes);

async function newKey(input: ConstructorParameters<typeof CreateKeyCommand>[0] = {}) {
  return (await kms.send(new CreateKeyCommand(input))).KeyMetadata!;
}

const PAIR_SPECS: [DataKeyPairSpec, string][] = [
  ['RSA_2048', 'rsa'],
  ['RSA_3072', 'rsa'],
  ['ECC_NIST_P256', 'prime256v1'],
  ['ECC_NIST_P384', 'secp384r1'],
  ['ECC_NIST_P521', 'secp521r1'],
  ['ECC_SECG_P256K1', 'secp256k1'],
  ['ECC_NIST_EDWARDS25519', 'ed25519'],
];

describe('GenerateDataKeyPair with the AWS SDK, checked by node:crypto', () => {
  it.each(PAIR_SPECS)('%s: OpenSSL reads the PKCS#8 private key, whose public half is the returned SPKI; Decrypt gives it back', async (KeyPairSpec, expected) => {
    const symmetric = await newKey();
    const EncryptionContext = { suite: 'key-pairs' };
    const pair = await kms.send(new GenerateDataKeyPairCommand({ KeyId: symmetric.KeyId, KeyPairSpec, EncryptionContext }));
    expect(pair.KeyId).toBe(symmetric.Arn);
    expect(pair.KeyPairSpec).toBe(KeyPairSpec);
    expect(pair.KeyMaterialId).toMatch(/^[a-f0-9]{64}$/);
    const privateKey = createPrivateKey({ key: der(pair.PrivateKeyPlaintext!), format: 'der', type: 'pkcs8' });
    const details = privateKey.asymmetricKeyDetails!;
    expect(privateKey.asymmetricKeyType === 'ec' ? details.namedCurve : privateKey.asymmetricKeyType).toBe(expected);
    const derivedPublic = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
    expect(derivedPublic.toString('base64')).toBe(der(pair.PublicKey!).toString('base64'));
    // OpenSSL writes the same PKCS#8 bytes back (an EC key with its public point, as OpenSSL does).
    if (privateKey.asymmetricKeyType === 'ec') expect(privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64')).toBe(der(pair.PrivateKeyPlaintext!).toString('base64'));

    const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob, EncryptionContext }));
    expect(der(decrypted.Plaintext!).equals(der(pair.PrivateKeyPlaintext!))).toBe(true);

    const without = await kms.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: symmetric.KeyId, KeyPairSpec, EncryptionContext }));
    expect(without).not.toHaveProperty('PrivateKeyPlaintext');
    const later = await kms.send(new DecryptCommand({ CiphertextBlob: without.PrivateKeyCiphertextBlob, EncryptionContext }));
    const laterKey = createPrivateKey({ key: der(later.Plaintext!), format: 'der', type: 'pkcs8' });
    expect(createPublicKey(laterKey).export({ format: 'der', type: 'spki' }).equals(der(without.PublicKey!))).toBe(true);
  });
});

describe('DeriveSharedSecret with the AWS SDK, checked by node:crypto', () => {
  it.each([
    ['ECC_NIST_P256', 'prime256v1'],
    ['ECC_NIST_P384', 'secp384r1'],
    ['ECC_NIST_P521', 'secp521r1'],
  ] as const)('%s: the shared secret equals OpenSSL ECDH of the peer private key and the KMS public key', async (KeySpec, namedCurve) => {
    const alice = await newKey({ KeySpec, KeyUsage: 'KEY_AGREEMENT' });
    expect(alice.KeyAgreementAlgorithms).toEqual(['ECDH']);
    const bob = generateKeyPairSync('ec', { namedCurve });
    const answer = await kms.send(
      new DeriveSharedSecretCommand({ KeyId: alice.KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: bob.publicKey.export({ format: 'der', type: 'spki' }) }),
    );
    expect(answer.KeyAgreementAlgorithm).toBe('ECDH');
    expect(answer.KeyOrigin).toBe('AWS_KMS');
    const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: alice.KeyId }));
    const openssl = diffieHellman({ privateKey: bob.privateKey, publicKey: createPublicKey({ key: der(PublicKey!), format: 'der', type: 'spki' }) });
    expect(der(answer.SharedSecret!).toString('hex')).toBe(openssl.toString('hex'));

    const stranger = generateKeyPairSync('ec', { namedCurve: namedCurve === 'prime256v1' ? 'secp384r1' : 'prime256v1' });
    await expect(
      kms.send(new DeriveSharedSecretCommand({ KeyId: alice.KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: stranger.publicKey.export({ format: 'der', type: 'spki' }) })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    expect((await kms.send(new GetKeyLastUsageCommand({ KeyId: alice.KeyId }))).KeyLastUsage?.Operation).toBe('DeriveSharedSecret');
  });
});

describe('ECC_NIST_P521 and ECC_SECG_P256K1 signatures, checked by node:crypto', () => {
  it.each([
    ['ECC_NIST_P521', 'ECDSA_SHA_512', 'sha512', 'secp521r1'],
    ['ECC_SECG_P256K1', 'ECDSA_SHA_256', 'sha256', 'secp256k1'],
  ] as const)('%s: OpenSSL verifies the service\'s DER signatures; the service refuses one made by another key', async (KeySpec, SigningAlgorithm, hash, namedCurve) => {
    const signer = await newKey({ KeySpec, KeyUsage: 'SIGN_VERIFY' });
    const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: signer.KeyId }));
    const publicKey = createPublicKey({ key: der(PublicKey!), format: 'der', type: 'spki' });
    expect(publicKey.asymmetricKeyDetails?.namedCurve).toBe(namedCurve);
    const message = Buffer.from(`signed with ${KeySpec}`);
    for (let round = 0; round < 3; round++) {
      const { Signature } = await kms.send(new SignCommand({ KeyId: signer.KeyId, Message: message, SigningAlgorithm }));
      expect(verify(hash, message, { key: publicKey, dsaEncoding: 'der' }, der(Signature!))).toBe(true);
    }
    // OpenSSL's signature under another key of the same curve is well-formed DER and still not this key's.
    const { Signature } = await kms.send(new SignCommand({ KeyId: signer.KeyId, Message: message, SigningAlgorithm }));
    expect((await kms.send(new VerifyCommand({ KeyId: signer.KeyId, Message: message, Signature, SigningAlgorithm }))).SignatureValid).toBe(true);
    const other = generateKeyPairSync('ec', { namedCurve });
    const foreign = sign(hash, message, { key: other.privateKey, dsaEncoding: 'der' });
    await expect(kms.send(new VerifyCommand({ KeyId: signer.KeyId, Message: message, Signature: foreign, SigningAlgorithm }))).rejects.toMatchObject({
      name: 'KMSInvalidSignatureException',
    });
  });
});
