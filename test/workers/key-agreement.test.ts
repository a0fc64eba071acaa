import { describe, expect, it } from 'vitest';
import { asUser, b64, createKey, ok, refused, unb64 } from './helpers';

/**
 * DeriveSharedSecret on KEY_AGREEMENT keys: the raw ECDH secret, checked
 * against WebCrypto's own ECDH on a pair made outside the service, and
 * between two KMS keys both ways; AWS's refusals for the wrong key, the
 * wrong curve and public keys that are not keys.
 */
const CURVES = [
  ['ECC_NIST_P256', 'P-256', 32],
  ['ECC_NIST_P384', 'P-384', 48],
  ['ECC_NIST_P521', 'P-521', 66],
] as const;

async function outsidePair(namedCurve: string) {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve }, true, ['deriveBits'])) as CryptoKeyPair;
  return { pair, spki: new Uint8Array((await crypto.subtle.exportKey('spki', pair.publicKey)) as ArrayBuffer) };
}

async function webCryptoSecret(privateKey: CryptoKey, peerSpki: Uint8Array, namedCurve: string, bytes: number) {
  const peer = await crypto.subtle.importKey('spki', peerSpki, { name: 'ECDH', namedCurve }, false, []);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: 'ECDH', public: peer } as unknown as SubtleCryptoDeriveKeyAlgorithm, privateKey, bytes * 8));
}

describe('DeriveSharedSecret', () => {
  it.each(CURVES)('%s: the secret equals WebCrypto ECDH with the key\'s public key, and two KMS keys agree', async (KeySpec, namedCurve, bytes) => {
    const keyId = await createKey({ KeySpec, KeyUsage: 'KEY_AGREEMENT' });
    const { KeyMetadata } = await ok('DescribeKey', { KeyId: keyId });
    expect(KeyMetadata).toMatchObject({ KeyUsage: 'KEY_AGREEMENT', KeyAgreementAlgorithms: ['ECDH'] });
    expect(KeyMetadata).not.toHaveProperty('SigningAlgorithms');
    const published = await ok('GetPublicKey', { KeyId: keyId });
    expect(published).toMatchObject({ KeyUsage: 'KEY_AGREEMENT', KeyAgreementAlgorithms: ['ECDH'] });

    const bob = await outsidePair(namedCurve);
    const answer = await ok('DeriveSharedSecret', { KeyId: keyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: b64(bob.spki) });
    expect(answer).toMatchObject({ KeyId: KeyMetadata.Arn, KeyAgreementAlgorithm: 'ECDH', KeyOrigin: 'AWS_KMS' });
    const secret = unb64(answer.SharedSecret);
    expect(secret).toHaveLength(bytes);
    expect(b64(await webCryptoSecret(bob.pair.privateKey, unb64(published.PublicKey), namedCurve, bytes))).toBe(answer.SharedSecret);

    const other = await createKey({ KeySpec, KeyUsage: 'KEY_AGREEMENT' });
    const otherPublic = (await ok('GetPublicKey', { KeyId: other })).PublicKey;
    const ab = await ok('DeriveSharedSecret', { KeyId: keyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: otherPublic });
    const ba = await ok('DeriveSharedSecret', { KeyId: other, KeyAgreementAlgorithm: 'ECDH', PublicKey: published.PublicKey });
    expect(ab.SharedSecret).toBe(ba.SharedSecret);
    expect(ab.SharedSecret).not.toBe(answer.SharedSecret);
  });

  it('refuses a public key on another curve, one that is not a key, and a point off the curve (ValidationException)', async () => {
    const keyId = await createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' });
    const derive = (PublicKey: string) => refused('DeriveSharedSecret', { KeyId: keyId, KeyAgreementAlgorithm: 'ECDH', PublicKey }, 'ValidationException');
    await derive(b64((await outsidePair('P-384')).spki));
    const p384Key = await createKey({ KeySpec: 'ECC_NIST_P384', KeyUsage: 'KEY_AGREEMENT' });
    await derive((await ok('GetPublicKey', { KeyId: p384Key })).PublicKey);
    const rsa = await createKey({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' });
    await derive((await ok('GetPublicKey', { KeyId: rsa })).PublicKey);
    const secp256k1 = await createKey({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY' });
    await derive((await ok('GetPublicKey', { KeyId: secp256k1 })).PublicKey);
    await derive(b64(new TextEncoder().encode('not a key at all')));
    // A valid P-256 SPKI whose point is moved off the curve (last byte of y changed): an invalid-curve point.
    const offCurve = (await outsidePair('P-256')).spki;
    offCurve[offCurve.length - 1]! ^= 1;
    await derive(b64(offCurve));
    // Truncated SPKI.
    await derive(b64((await outsidePair('P-256')).spki.subarray(0, 60)));
  });

  it('refuses keys that are not KEY_AGREEMENT keys, a disabled key, and algorithms other than ECDH', async () => {
    const peer = b64((await outsidePair('P-256')).spki);
    const body = (KeyId: string) => ({ KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: peer });
    for (const spec of [
      { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' },
      { KeySpec: 'SYMMETRIC_DEFAULT' },
      { KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' },
      { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' },
    ]) {
      const keyId = await createKey(spec);
      const { body: refusal } = await refused('DeriveSharedSecret', body(keyId), 'InvalidKeyUsageException');
      expect(refusal.message).toContain('not valid for DeriveSharedSecret');
    }
    const keyId = await createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' });
    await refused('Sign', { KeyId: keyId, Message: 'aGk=', SigningAlgorithm: 'ECDSA_SHA_256' }, 'InvalidKeyUsageException');
    await refused('DeriveSharedSecret', { ...body(keyId), KeyAgreementAlgorithm: 'X25519' }, 'ValidationException');
    await refused('DeriveSharedSecret', { KeyId: keyId, KeyAgreementAlgorithm: 'ECDH' }, 'ValidationException');
    await refused('DeriveSharedSecret', { ...body(keyId), Recipient: { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', AttestationDocument: 'AAAA' } }, 'UnsupportedOperationException');
    await ok('DisableKey', { KeyId: keyId });
    await refused('DeriveSharedSecret', body(keyId), 'DisabledException');
    await refused('CreateKey', { KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'KEY_AGREEMENT' }, 'InvalidKeyUsageException');
    await refused('CreateKey', { KeySpec: 'RSA_2048', KeyUsage: 'KEY_AGREEMENT' }, 'InvalidKeyUsageException');
  });

  it('is authorized as kms:DeriveSharedSecret, with kms:KeyAgreementAlgorithm, and by a grant', async () => {
    const account = '111122223333';
    /** A P-256 agreement key whose policy lets alice derive under `condition`. */
    const keyAllowingAlice = (condition: Record<string, string>) =>
      createKey({
        KeySpec: 'ECC_NIST_P256',
        KeyUsage: 'KEY_AGREEMENT',
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' },
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:sts::${account}:federated-user/alice` },
              Action: 'kms:DeriveSharedSecret',
              Resource: '*',
              Condition: { StringEquals: condition },
            },
          ],
        }),
      });
    const keyId = await keyAllowingAlice({ 'kms:KeyAgreementAlgorithm': 'ECDH', 'kms:KeyUsage': 'KEY_AGREEMENT' });
    const request = { KeyId: keyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: b64((await outsidePair('P-256')).spki) };
    expect((await asUser('alice', 'DeriveSharedSecret', request)).status).toBe(200);
    expect((await asUser('bob', 'DeriveSharedSecret', request)).body.__type).toBe('AccessDeniedException');
    await ok('CreateGrant', { KeyId: keyId, GranteePrincipal: `arn:aws:sts::${account}:federated-user/bob`, Operations: ['DeriveSharedSecret'] });
    expect((await asUser('bob', 'DeriveSharedSecret', request)).status).toBe(200);
    // A policy that requires another algorithm value refuses.
    const strict = await keyAllowingAlice({ 'kms:KeyAgreementAlgorithm': 'SM2' });
    expect((await asUser('alice', 'DeriveSharedSecret', { ...request, KeyId: strict })).body.__type).toBe('AccessDeniedException');
  });
});
