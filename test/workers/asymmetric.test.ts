import { describe, expect, it } from 'vitest';
import { b64, createKey, ok, refused, unb64, utf8 } from './helpers';
import { derToP1363 } from '../../worker/wire/ecdsa-signature';

type Case = { spec: string; algorithm: string; hash: string; verifyWith: (spki: Uint8Array, signature: Uint8Array, message: Uint8Array) => Promise<boolean> };

/** Independent checks of the service's signatures with the runtime's own WebCrypto. */
const webCryptoVerify = (importParams: any, verifyParams: any, ecSize?: number) => async (spki: Uint8Array, signature: Uint8Array, message: Uint8Array) => {
  const key = await crypto.subtle.importKey('spki', spki, importParams, false, ['verify']);
  const sig = ecSize ? derToP1363(signature, ecSize)! : signature;
  return crypto.subtle.verify(verifyParams, key, sig, message);
};

const CASES: Case[] = [
  { spec: 'ECC_NIST_P256', algorithm: 'ECDSA_SHA_256', hash: 'SHA-256', verifyWith: webCryptoVerify({ name: 'ECDSA', namedCurve: 'P-256' }, { name: 'ECDSA', hash: 'SHA-256' }, 32) },
  { spec: 'ECC_NIST_P384', algorithm: 'ECDSA_SHA_384', hash: 'SHA-384', verifyWith: webCryptoVerify({ name: 'ECDSA', namedCurve: 'P-384' }, { name: 'ECDSA', hash: 'SHA-384' }, 48) },
  ...(['256', '384', '512'] as const).flatMap((bits): Case[] => [
    { spec: 'RSA_2048', algorithm: `RSASSA_PSS_SHA_${bits}`, hash: `SHA-${bits}`, verifyWith: webCryptoVerify({ name: 'RSA-PSS', hash: `SHA-${bits}` }, { name: 'RSA-PSS', saltLength: Number(bits) / 8 }) },
    { spec: 'RSA_3072', algorithm: `RSASSA_PKCS1_V1_5_SHA_${bits}`, hash: `SHA-${bits}`, verifyWith: webCryptoVerify({ name: 'RSASSA-PKCS1-v1_5', hash: `SHA-${bits}` }, { name: 'RSASSA-PKCS1-v1_5' }) },
  ]),
  { spec: 'RSA_4096', algorithm: 'RSASSA_PSS_SHA_256', hash: 'SHA-256', verifyWith: webCryptoVerify({ name: 'RSA-PSS', hash: 'SHA-256' }, { name: 'RSA-PSS', saltLength: 32 }) },
  { spec: 'ECC_NIST_EDWARDS25519', algorithm: 'ED25519_SHA_512', hash: 'SHA-512', verifyWith: webCryptoVerify({ name: 'Ed25519' }, { name: 'Ed25519' }) },
];

describe('Sign, Verify and GetPublicKey', () => {
  it.each(CASES)('$spec with $algorithm signs RAW and DIGEST messages that verify here and independently', async ({ spec, algorithm, hash, verifyWith }) => {
    const keyId = await createKey({ KeySpec: spec, KeyUsage: 'SIGN_VERIFY' });
    const { PublicKey, KeySpec, KeyUsage, SigningAlgorithms } = await ok('GetPublicKey', { KeyId: keyId });
    expect({ KeySpec, KeyUsage }).toEqual({ KeySpec: spec, KeyUsage: 'SIGN_VERIFY' });
    expect(SigningAlgorithms).toContain(algorithm);
    const spki = unb64(PublicKey);
    const message = utf8(`message for ${algorithm}`);

    const raw = await ok('Sign', { KeyId: keyId, Message: b64(message), SigningAlgorithm: algorithm });
    expect(raw.SigningAlgorithm).toBe(algorithm);
    expect(await verifyWith(spki, unb64(raw.Signature), message)).toBe(true);
    expect((await ok('Verify', { KeyId: keyId, Message: b64(message), Signature: raw.Signature, SigningAlgorithm: algorithm })).SignatureValid).toBe(true);

    const tampered = unb64(raw.Signature);
    tampered[tampered.length - 5]! ^= 0x40;
    await refused('Verify', { KeyId: keyId, Message: b64(message), Signature: b64(tampered), SigningAlgorithm: algorithm }, 'KMSInvalidSignatureException');
    await refused('Verify', { KeyId: keyId, Message: b64(utf8('another message')), Signature: raw.Signature, SigningAlgorithm: algorithm }, 'KMSInvalidSignatureException');

    const digest = new Uint8Array(await crypto.subtle.digest(hash, message));
    if (algorithm === 'ED25519_SHA_512') {
      await refused('Sign', { KeyId: keyId, Message: b64(digest), MessageType: 'DIGEST', SigningAlgorithm: algorithm }, 'ValidationException');
      return;
    }
    // A DIGEST signature is a signature over the message that digest came from.
    const signed = await ok('Sign', { KeyId: keyId, Message: b64(digest), MessageType: 'DIGEST', SigningAlgorithm: algorithm });
    expect(await verifyWith(spki, unb64(signed.Signature), message)).toBe(true);
    await ok('Verify', { KeyId: keyId, Message: b64(digest), MessageType: 'DIGEST', Signature: signed.Signature, SigningAlgorithm: algorithm });
    await ok('Verify', { KeyId: keyId, Message: b64(message), MessageType: 'RAW', Signature: signed.Signature, SigningAlgorithm: algorithm });
    await ok('Verify', { KeyId: keyId, Message: b64(digest), MessageType: 'DIGEST', Signature: raw.Signature, SigningAlgorithm: algorithm });
    const otherDigest = digest.slice();
    otherDigest[0]! ^= 1;
    await refused('Verify', { KeyId: keyId, Message: b64(otherDigest), MessageType: 'DIGEST', Signature: signed.Signature, SigningAlgorithm: algorithm }, 'KMSInvalidSignatureException');
    await refused('Sign', { KeyId: keyId, Message: b64(digest.subarray(1)), MessageType: 'DIGEST', SigningAlgorithm: algorithm }, 'ValidationException');
  });

  it('refuses a signing algorithm the key does not offer', async () => {
    const keyId = await createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    await refused('Sign', { KeyId: keyId, Message: 'aGk=', SigningAlgorithm: 'RSASSA_PSS_SHA_256' }, 'InvalidKeyUsageException');
    await refused('Sign', { KeyId: keyId, Message: 'aGk=', SigningAlgorithm: 'NOPE' }, 'ValidationException');
    await refused('Sign', { KeyId: keyId, Message: b64(new Uint8Array(4097)), SigningAlgorithm: 'ECDSA_SHA_256' }, 'ValidationException');
  });

  it('an RSA encryption key offers its public key but refuses to sign', async () => {
    const keyId = await createKey({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' });
    const pub = await ok('GetPublicKey', { KeyId: keyId });
    expect(pub.EncryptionAlgorithms).toEqual(['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256']);
    const key = await crypto.subtle.importKey('spki', unb64(pub.PublicKey), { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
    const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: 'RSA-OAEP' }, key, utf8('from outside')));
    const decrypted = await ok('Decrypt', { KeyId: keyId, CiphertextBlob: b64(ciphertext), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' });
    expect(decrypted.Plaintext).toBe(b64(utf8('from outside')));
    await refused('Sign', { KeyId: keyId, Message: 'aGk=', SigningAlgorithm: 'RSASSA_PSS_SHA_256' }, 'InvalidKeyUsageException');
  });
});

describe('GenerateMac and VerifyMac', () => {
  it.each([
    ['HMAC_256', 'HMAC_SHA_256', 32],
    ['HMAC_384', 'HMAC_SHA_384', 48],
    ['HMAC_512', 'HMAC_SHA_512', 64],
  ] as const)('%s generates %s tags that verify, and refuses altered ones', async (KeySpec, MacAlgorithm, length) => {
    const keyId = await createKey({ KeySpec, KeyUsage: 'GENERATE_VERIFY_MAC' });
    const message = b64(utf8('mac me'));
    const { Mac } = await ok('GenerateMac', { KeyId: keyId, Message: message, MacAlgorithm });
    expect(unb64(Mac)).toHaveLength(length);
    expect((await ok('GenerateMac', { KeyId: keyId, Message: message, MacAlgorithm })).Mac).toBe(Mac);
    expect((await ok('VerifyMac', { KeyId: keyId, Message: message, Mac, MacAlgorithm })).MacValid).toBe(true);
    const altered = unb64(Mac);
    altered[0]! ^= 1;
    await refused('VerifyMac', { KeyId: keyId, Message: message, Mac: b64(altered), MacAlgorithm }, 'KMSInvalidMacException');
    await refused('VerifyMac', { KeyId: keyId, Message: message, Mac: b64(unb64(Mac).subarray(0, 16)), MacAlgorithm }, 'KMSInvalidMacException');
    await refused('VerifyMac', { KeyId: keyId, Message: b64(utf8('other')), Mac, MacAlgorithm }, 'KMSInvalidMacException');
    const other = await createKey({ KeySpec, KeyUsage: 'GENERATE_VERIFY_MAC' });
    await refused('VerifyMac', { KeyId: other, Message: message, Mac, MacAlgorithm }, 'KMSInvalidMacException');
  });
});

/** Defects found in an earlier review, each pinned by the request sequence that showed it. */
describe('review regressions', () => {
  it('an RSA key refuses an encryption context it could not bind', async () => {
    const keyId = await createKey({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' });
    const body = { KeyId: keyId, Plaintext: b64(utf8('bob secret')), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' };
    await refused('Encrypt', { ...body, EncryptionContext: { user: 'bob' } }, 'ValidationException');
    const { CiphertextBlob } = await ok('Encrypt', body);
    await refused('Decrypt', { KeyId: keyId, CiphertextBlob, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256', EncryptionContext: { user: 'alice' } }, 'ValidationException');
  });
});
