import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { parseRootKeys } from '../../worker/crypto/root-keys';
import { unseal } from '../../worker/crypto/sealing';
import { secp256k1ScalarOfPkcs8 } from '../../worker/wire/secp256k1-keys';
import { createKey, indexOfBytes, keyStub, ok } from './helpers';

/** Every byte a key's Durable Object has stored: the KV entries and every readable SQLite table. */
async function dumpStorage(keyId: string) {
  return runInDurableObject(keyStub(keyId), async (_instance, state) => {
    const entries = [...(await state.storage.list()).entries()];
    const tables = state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .toArray()
      .map((row) => row.name);
    const rows: unknown[] = [];
    for (const table of tables) {
      try {
        rows.push(...state.storage.sql.exec(`SELECT * FROM "${table}"`).toArray());
      } catch {
        // Tables the runtime keeps to itself (_cf_*) are not readable from user code.
      }
    }
    return { entries, rows };
  });
}

/** Flattens stored values into byte strings, text included (as UTF-8), for searching. */
function flatten(value: unknown, out: Uint8Array[] = []): Uint8Array[] {
  if (value instanceof Uint8Array) out.push(value);
  else if (value instanceof ArrayBuffer) out.push(new Uint8Array(value));
  else if (typeof value === 'string') out.push(new TextEncoder().encode(value));
  else if (Array.isArray(value)) value.forEach((item) => flatten(item, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((item) => flatten(item, out));
  return out;
}


/** The forms in which key material could leak: raw bytes, base64, base64url and hex. */
function encodings(secret: Uint8Array): Uint8Array[] {
  const text = (s: string) => new TextEncoder().encode(s);
  return [
    secret,
    text(secret.toBase64()),
    text(secret.toBase64({ alphabet: 'base64url', omitPadding: true })),
    text([...secret].map((b) => b.toString(16).padStart(2, '0')).join('')),
  ];
}

async function privateScalar(pkcs8: Uint8Array, params: SubtleCryptoImportKeyAlgorithm): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('pkcs8', pkcs8, params, true, ['sign']);
  const jwk = (await crypto.subtle.exportKey('jwk', key)) as JsonWebKey;
  return Uint8Array.fromBase64(jwk.d!, { alphabet: 'base64url' });
}

describe('key material at rest', () => {
  it.each([
    ['SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT'],
    ['HMAC_512', 'GENERATE_VERIFY_MAC'],
    ['ECC_NIST_P256', 'SIGN_VERIFY'],
    ['ECC_NIST_EDWARDS25519', 'SIGN_VERIFY'],
    ['RSA_2048', 'SIGN_VERIFY'],
    ['HMAC_224', 'GENERATE_VERIFY_MAC'],
    ['ECC_NIST_P521', 'KEY_AGREEMENT'],
    ['ECC_SECG_P256K1', 'SIGN_VERIFY'],
  ])('a storage dump of a %s key holds no key material in the clear', async (KeySpec, KeyUsage) => {
    const keyId = await createKey({ KeySpec, KeyUsage });
    if (KeySpec === 'SYMMETRIC_DEFAULT') {
      await ok('RotateKeyOnDemand', { KeyId: keyId });
      await ok('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' });
    }
    // Used, so that whatever the object stores about its use (GetKeyLastUsage) is in the dump too.
    if (KeySpec === 'ECC_NIST_P521') {
      const { PublicKey } = await ok('GetPublicKey', { KeyId: keyId });
      await ok('DeriveSharedSecret', { KeyId: keyId, KeyAgreementAlgorithm: 'ECDH', PublicKey });
    }
    if (KeySpec === 'ECC_SECG_P256K1') await ok('Sign', { KeyId: keyId, Message: 'aGk=', SigningAlgorithm: 'ECDSA_SHA_256' });
    const { entries, rows } = await dumpStorage(keyId);
    const versions = entries.filter(([name]) => name.startsWith('version:')).map(([, value]) => value as { version: number; sealed: Uint8Array });
    expect(versions.length).toBe(KeySpec === 'SYMMETRIC_DEFAULT' ? 2 : 1);

    const stored = flatten([entries, rows]);
    for (const { version, sealed } of versions) {
      // The test opens the seal itself (it holds MASTER_KEY) to learn what must not be visible.
      const secret = await unseal(parseRootKeys(env), keyId, version, sealed);
      const secrets = [secret];
      if (KeySpec === 'ECC_NIST_P256') secrets.push(await privateScalar(secret, { name: 'ECDSA', namedCurve: 'P-256' }));
      if (KeySpec === 'ECC_NIST_EDWARDS25519') secrets.push(await privateScalar(secret, { name: 'Ed25519' }));
      if (KeySpec === 'ECC_NIST_P521') secrets.push(await privateScalar(secret, { name: 'ECDSA', namedCurve: 'P-521' }));
      // secp256k1 is not in WebCrypto: the service's own DER reader finds the scalar.
      if (KeySpec === 'ECC_SECG_P256K1') secrets.push(secp256k1ScalarOfPkcs8(secret));
      for (const candidate of secrets.flatMap(encodings)) {
        for (const bytes of stored) expect(indexOfBytes(bytes, candidate) >= 0).toBe(false);
      }
    }
  });

  it('sealed material opens only for its own key id and version', async () => {
    const keyId = await createKey();
    await ok('RotateKeyOnDemand', { KeyId: keyId });
    const { entries } = await dumpStorage(keyId);
    const sealed = (entries.find(([name]) => name === 'version:0000000001')![1] as { sealed: Uint8Array }).sealed;
    await expect(unseal(parseRootKeys(env), keyId, 1, sealed)).resolves.toHaveLength(32);
    await expect(unseal(parseRootKeys(env), keyId, 2, sealed)).rejects.toMatchObject({ name: 'KMSInternalException' });
    await expect(unseal(parseRootKeys(env), crypto.randomUUID(), 1, sealed)).rejects.toMatchObject({ name: 'KMSInternalException' });
    const otherMaster = new Uint8Array(32).fill(7).toBase64();
    await expect(unseal(parseRootKeys({ MASTER_KEY: otherMaster }), keyId, 1, sealed)).rejects.toMatchObject({ name: 'KMSInternalException' });
  });

  it('no API response carries the material', async () => {
    const keyId = await createKey({ KeySpec: 'ECC_NIST_P384', KeyUsage: 'SIGN_VERIFY' });
    const responses = JSON.stringify([
      await ok('DescribeKey', { KeyId: keyId }),
      await ok('GetPublicKey', { KeyId: keyId }),
      await ok('ListKeys', {}),
    ]);
    const { entries } = await dumpStorage(keyId);
    const { version, sealed } = entries.find(([name]) => name.startsWith('version:'))![1] as { version: number; sealed: Uint8Array };
    const secret = await unseal(parseRootKeys(env), keyId, version, sealed);
    const scalar = await privateScalar(secret, { name: 'ECDSA', namedCurve: 'P-384' });
    for (const candidate of [...encodings(secret), ...encodings(scalar)]) {
      expect(indexOfBytes(new TextEncoder().encode(responses), candidate) >= 0).toBe(false);
    }
  });
});
