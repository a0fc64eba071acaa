import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { derToP1363 } from '../../worker/wire/ecdsa-signature';
import { b64, createKey, ok, refused, unb64, utf8 } from './helpers';

/**
 * The key specs of issue 14: ECC_NIST_P521 (WebCrypto), ECC_SECG_P256K1
 * (@noble/curves) and HMAC_224 (@noble/hashes). Their bytes are checked
 * against independent implementations: WebCrypto and node:crypto inside
 * workerd here; test/service/key-pairs.test.ts checks secp256k1 against
 * Node's OpenSSL, which workerd's BoringSSL lacks.
 */
describe('ECC_NIST_P521', () => {
  it('signs ECDSA_SHA_512 (RAW and DIGEST) in DER that WebCrypto verifies, and verifies it', async () => {
    const keyId = await createKey({ KeySpec: 'ECC_NIST_P521', KeyUsage: 'SIGN_VERIFY' });
    const { KeyMetadata } = await ok('DescribeKey', { KeyId: keyId });
    expect(KeyMetadata).toMatchObject({ KeySpec: 'ECC_NIST_P521', KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: ['ECDSA_SHA_512'] });
    expect(KeyMetadata).not.toHaveProperty('KeyAgreementAlgorithms');
    const { PublicKey } = await ok('GetPublicKey', { KeyId: keyId });
    const key = await crypto.subtle.importKey('spki', unb64(PublicKey), { name: 'ECDSA', namedCurve: 'P-521' }, false, ['verify']);
    const message = utf8('a message signed on P-521');
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-512', message));
    for (const [MessageType, Message] of [['RAW', message], ['DIGEST', digest]] as const) {
      for (let round = 0; round < 4; round++) {
        const { Signature } = await ok('Sign', { KeyId: keyId, Message: b64(Message), MessageType, SigningAlgorithm: 'ECDSA_SHA_512' });
        const der = unb64(Signature);
        // A P-521 DER signature runs past 127 bytes: its length takes DER's long form (0x81 n).
        expect([der[0], der[1], der[2]]).toEqual([0x30, 0x81, der.length - 3]);
        expect(await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-512' }, key, derToP1363(der, 66)!, message)).toBe(true);
        await ok('Verify', { KeyId: keyId, Message: b64(message), Signature, SigningAlgorithm: 'ECDSA_SHA_512' });
        await ok('Verify', { KeyId: keyId, Message: b64(digest), MessageType: 'DIGEST', Signature, SigningAlgorithm: 'ECDSA_SHA_512' });
      }
    }
    const wrong = await ok('Sign', { KeyId: keyId, Message: b64(message), SigningAlgorithm: 'ECDSA_SHA_512' });
    await refused('Verify', { KeyId: keyId, Message: b64(utf8('another')), Signature: wrong.Signature, SigningAlgorithm: 'ECDSA_SHA_512' }, 'KMSInvalidSignatureException');
    await refused('Sign', { KeyId: keyId, Message: b64(message), SigningAlgorithm: 'ECDSA_SHA_256' }, 'InvalidKeyUsageException');
    await refused('Sign', { KeyId: keyId, Message: b64(digest.subarray(0, 32)), MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_512' }, 'ValidationException');
  });
});

describe('ECC_SECG_P256K1', () => {
  it('signs ECDSA_SHA_256 (RAW and DIGEST) and verifies, and is SIGN_VERIFY only', async () => {
    const keyId = await createKey({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY' });
    const { PublicKey, SigningAlgorithms, KeySpec } = await ok('GetPublicKey', { KeyId: keyId });
    expect({ SigningAlgorithms, KeySpec }).toEqual({ SigningAlgorithms: ['ECDSA_SHA_256'], KeySpec: 'ECC_SECG_P256K1' });
    // SPKI: id-ecPublicKey with the named curve secp256k1 (1.3.132.0.10), uncompressed point.
    expect(Array.from(unb64(PublicKey).subarray(0, 23))).toEqual(Array.from(Uint8Array.from([0x30, 0x56, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a, 0x03, 0x42, 0x00])));
    const message = utf8('a secp256k1 message');
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', message));
    const raw = await ok('Sign', { KeyId: keyId, Message: b64(message), SigningAlgorithm: 'ECDSA_SHA_256' });
    const fromDigest = await ok('Sign', { KeyId: keyId, Message: b64(digest), MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' });
    for (const { Signature } of [raw, fromDigest]) {
      await ok('Verify', { KeyId: keyId, Message: b64(message), Signature, SigningAlgorithm: 'ECDSA_SHA_256' });
      await ok('Verify', { KeyId: keyId, Message: b64(digest), MessageType: 'DIGEST', Signature, SigningAlgorithm: 'ECDSA_SHA_256' });
      await refused('Verify', { KeyId: keyId, Message: b64(utf8('other')), Signature, SigningAlgorithm: 'ECDSA_SHA_256' }, 'KMSInvalidSignatureException');
    }
    await refused('CreateKey', { KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'KEY_AGREEMENT' }, 'InvalidKeyUsageException');
  });
});

describe('HMAC_224', () => {
  it('makes HMAC_SHA_224 tags equal to node:crypto\'s over the same key, and verifies them', async () => {
    const keyId = await createKey({ KeySpec: 'HMAC_224', KeyUsage: 'GENERATE_VERIFY_MAC' });
    const { KeyMetadata } = await ok('DescribeKey', { KeyId: keyId });
    expect(KeyMetadata).toMatchObject({ KeySpec: 'HMAC_224', MacAlgorithms: ['HMAC_SHA_224'] });
    const message = b64(utf8('mac me with sha-224'));
    const { Mac } = await ok('GenerateMac', { KeyId: keyId, Message: message, MacAlgorithm: 'HMAC_SHA_224' });
    expect(unb64(Mac)).toHaveLength(28);
    await ok('VerifyMac', { KeyId: keyId, Message: message, Mac, MacAlgorithm: 'HMAC_SHA_224' });
    const altered = unb64(Mac);
    altered[27]! ^= 1;
    await refused('VerifyMac', { KeyId: keyId, Message: message, Mac: b64(altered), MacAlgorithm: 'HMAC_SHA_224' }, 'KMSInvalidMacException');
    await refused('VerifyMac', { KeyId: keyId, Message: message, Mac: b64(unb64(Mac).subarray(0, 27)), MacAlgorithm: 'HMAC_SHA_224' }, 'KMSInvalidMacException');
    await refused('GenerateMac', { KeyId: keyId, Message: message, MacAlgorithm: 'HMAC_SHA_256' }, 'InvalidKeyUsageException');
  });

  it('the service computes HMAC-SHA-224 as RFC 4231 says (node:crypto over known keys)', async () => {
    // The same function the key object runs, on RFC 4231 test case 2 and a key as long as an HMAC_224 key's.
    const { generateMac } = await import('../../worker/crypto/mac');
    const key = utf8('Jefe');
    const data = utf8('what do ya want for nothing?');
    const tag = await generateMac(key, 'HMAC_SHA_224', data);
    expect(Array.from(tag)).toEqual(Array.from(createHmac('sha224', key).update(data).digest()));
    expect(b64(tag)).toBe(b64(Uint8Array.from(Buffer.from('a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44', 'hex'))));
    const long = crypto.getRandomValues(new Uint8Array(28));
    expect(Array.from(await generateMac(long, 'HMAC_SHA_224', data))).toEqual(Array.from(createHmac('sha224', long).update(data).digest()));
  });
});
