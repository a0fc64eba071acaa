import { env, evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { parseRootKeys } from '../../worker/crypto/root-keys';
import { unseal } from '../../worker/crypto/sealing';
import { encodeEncryptionContext } from '../../worker/wire/encryption-context';
import { b64, blobVersion, concat, createKey, keyStub, kms, ok, refused, unb64, utf8 } from './helpers';

/**
 * The symmetric ciphertext blob as docs/ciphertext-format.md describes it:
 * format 2 (HKDF-derived key per blob) is written, format 1 is still read.
 */
const context = { tenant: 'acme', purpose: 'format test' };
const SALT = [43, 75] as const;
const IV = [75, 87] as const;
const HEADER_LENGTH = 87;
const OVERHEAD = HEADER_LENGTH + 16;

/**
 * Written by the code at 9667b21 (format 1) against the workers project's
 * MASTER_KEY: the sealed version-1 material of key `keyId` as it was stored,
 * and an Encrypt blob under it.
 */
const FORMAT_1_FIXTURE = {
  keyId: '9fe302c7-6853-4cea-a8dd-f39d265927a7',
  context: { tenant: 'acme', purpose: 'format-1 fixture' },
  plaintext: 'd3JpdHRlbiBieSA5NjY3YjIx',
  sealed: 'AcYJr3NHaRG4dV+lYnQMx1zVf05BVRMRuTEuHkHSc1xXor4Exjep0lpIIwYAMd3biqeGxj67P9a9HaKzfw==',
  blob: 'RUsBOWZlMzAyYzctNjg1My00Y2VhLWE4ZGQtZjM5ZDI2NTkyN2E3AAAAAbrWj9ofjG+gS7pK36agEVz09oPuFdd15BZ5R9jBqlNdc7wjEKaaHk03J0OGgZk=',
};

/**
 * Gives the fixture's key id a key record (copied from a key the current code
 * creates, so its shape is today's) and the fixture's sealed version 1, as
 * storage written before format 2 would hold them, and registers it as CreateKey did.
 */
async function installFormat1Key(): Promise<string> {
  const template = await createKey();
  const record = await runInDurableObject(keyStub(template), (_instance, state) => state.storage.get<Record<string, unknown>>('key'));
  const stub = keyStub(FORMAT_1_FIXTURE.keyId);
  await runInDurableObject(stub, async (_instance, state) => {
    await state.storage.put('key', { ...record, keyId: FORMAT_1_FIXTURE.keyId, currentVersion: 1 });
    await state.storage.put('version:0000000001', { version: 1, createdAt: Date.now(), sealed: unb64(FORMAT_1_FIXTURE.sealed) });
  });
  await evictDurableObject(stub);
  // CreateKey registers every key in its account's Directory; requests reach only registered keys.
  await env.DIRECTORY.get(env.DIRECTORY.idFromName(record!.account as string)).addKey(FORMAT_1_FIXTURE.keyId);
  return FORMAT_1_FIXTURE.keyId;
}

/** The version's root key, unsealed by the test itself (it holds MASTER_KEY). */
async function rootKey(keyId: string, version = 1): Promise<Uint8Array> {
  const sealed = await runInDurableObject(keyStub(keyId), async (_instance, state) => {
    const entry = await state.storage.get<{ sealed: Uint8Array }>(`version:${String(version).padStart(10, '0')}`);
    return entry!.sealed;
  });
  return unseal(parseRootKeys(env), keyId, version, sealed);
}

/** The blob key exactly as docs/ciphertext-format.md defines it, computed independently of the service. */
async function documentedBlobKey(root: Uint8Array, blob: Uint8Array): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey('raw', root, 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: blob.slice(...SALT), info: blob.slice(0, 43) },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['decrypt'],
  );
}

/** Opens a format-2 blob's body with `key`; undefined when authentication fails. */
async function openBody(key: CryptoKey, blob: Uint8Array): Promise<Uint8Array | undefined> {
  const aad = concat(blob.subarray(0, HEADER_LENGTH), encodeEncryptionContext(context));
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: blob.slice(...IV), additionalData: aad }, key, blob.subarray(HEADER_LENGTH)));
  } catch {
    return undefined;
  }
}

async function refusedAsInvalid(CiphertextBlob: Uint8Array, EncryptionContext: Record<string, string> = context) {
  const response = await refused('Decrypt', { CiphertextBlob: b64(CiphertextBlob), EncryptionContext }, 'InvalidCiphertextException');
  expect(response.status).toBe(400);
}

describe('ciphertext blob format 2', () => {
  it('every new blob is format 2, names its key and version, and carries a salt of its own', async () => {
    const [keyId, other] = await Promise.all([createKey(), createKey()]);
    const plaintext = utf8('same plaintext');
    const blobs: Array<{ blob: Uint8Array; length: number }> = [];
    for (let i = 0; i < 2; i++) {
      const { CiphertextBlob } = await ok('Encrypt', { KeyId: keyId, Plaintext: b64(plaintext), EncryptionContext: context });
      blobs.push({ blob: unb64(CiphertextBlob), length: plaintext.length });
    }
    const dataKey = await ok('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context });
    blobs.push({ blob: unb64(dataKey.CiphertextBlob), length: 32 });
    const withoutPlaintext = await ok('GenerateDataKeyWithoutPlaintext', { KeyId: keyId, NumberOfBytes: 7, EncryptionContext: context });
    blobs.push({ blob: unb64(withoutPlaintext.CiphertextBlob), length: 7 });
    const moved = await ok('ReEncrypt', { CiphertextBlob: b64(blobs[0]!.blob), SourceEncryptionContext: context, DestinationKeyId: other });
    blobs.push({ blob: unb64(moved.CiphertextBlob), length: plaintext.length });

    for (const [index, { blob, length }] of blobs.entries()) {
      expect([...blob.subarray(0, 3)], `blob ${index}: magic and format`).toEqual([0x45, 0x4b, 2]);
      expect(new TextDecoder().decode(blob.subarray(3, 39))).toBe(index === 4 ? other : keyId);
      expect(blobVersion(b64(blob))).toBe(1);
      expect(blob.length).toBe(OVERHEAD + length);
    }
    const salts = new Set(blobs.map(({ blob }) => b64(blob.slice(...SALT))));
    expect(salts.size).toBe(blobs.length);
  });

  it('each blob is sealed under its own AES key, derived from its salt as documented', async () => {
    const keyId = await createKey();
    const plaintext = utf8('same plaintext, same key, same context');
    const encrypt = async () => unb64((await ok('Encrypt', { KeyId: keyId, Plaintext: b64(plaintext), EncryptionContext: context })).CiphertextBlob);
    const [a, b] = [await encrypt(), await encrypt()];
    const root = await rootKey(keyId);
    const [keyA, keyB] = await Promise.all([documentedBlobKey(root, a), documentedBlobKey(root, b)]);

    expect(await openBody(keyA, a)).toEqual(plaintext);
    expect(await openBody(keyB, b)).toEqual(plaintext);
    // Blob B's key does not open blob A: the two share no AES key.
    expect(await openBody(keyB, a)).toBeUndefined();
    expect(await openBody(keyA, b)).toBeUndefined();
    // Nor does the root key used directly, as format 1 did.
    const direct = await crypto.subtle.importKey('raw', root, 'AES-GCM', false, ['decrypt']);
    expect(await openBody(direct, a)).toBeUndefined();

    // Through the service: blob A with blob B's salt is refused, not opened under B's key.
    const swapped = a.slice();
    swapped.set(b.subarray(...SALT), SALT[0]);
    await refusedAsInvalid(swapped);
    await ok('Decrypt', { CiphertextBlob: b64(a), EncryptionContext: context });
  });

  it('tampering with the format, key version, salt, IV, body or tag is InvalidCiphertextException (400)', async () => {
    const keyId = await createKey();
    const blob = unb64((await ok('Encrypt', { KeyId: keyId, Plaintext: b64(utf8('tamper with me')), EncryptionContext: context })).CiphertextBlob);
    const changed = (edit: (bytes: Uint8Array, view: DataView) => void) => {
      const bytes = blob.slice();
      edit(bytes, new DataView(bytes.buffer));
      return bytes;
    };
    const cases: Array<[string, Uint8Array]> = [
      // Format 1 would read the salt as its IV and use the root key directly: a downgrade that must not open.
      ...[0, 1, 3, 0xff].map((format): [string, Uint8Array] => [`format ${format}`, changed((bytes) => void (bytes[2] = format))]),
      ['key version 0', changed((_bytes, view) => view.setUint32(39, 0))],
      ['key version 2 (does not exist)', changed((_bytes, view) => view.setUint32(39, 2))],
      ['key version 2^32-1', changed((_bytes, view) => view.setUint32(39, 0xffffffff))],
      ['first salt byte', changed((bytes) => void (bytes[SALT[0]]! ^= 0x01))],
      ['last salt byte', changed((bytes) => void (bytes[SALT[1] - 1]! ^= 0x80))],
      ['salt zeroed', changed((bytes) => bytes.fill(0, ...SALT))],
      ['first IV byte', changed((bytes) => void (bytes[IV[0]]! ^= 0x01))],
      ['last IV byte', changed((bytes) => void (bytes[IV[1] - 1]! ^= 0x01))],
      ['first body byte', changed((bytes) => void (bytes[HEADER_LENGTH]! ^= 0x01))],
      ['last tag byte', changed((bytes) => void (bytes[bytes.length - 1]! ^= 0x01))],
      ['truncated inside the tag', blob.subarray(0, blob.length - 1)],
      ['header and tag only', concat(blob.subarray(0, HEADER_LENGTH), blob.subarray(blob.length - 16))],
      ['truncated after the IV', blob.subarray(0, HEADER_LENGTH)],
      ['truncated inside the salt', blob.subarray(0, 60)],
      ['only the shared prefix', blob.subarray(0, 43)],
    ];
    for (const [name, bytes] of cases) {
      const response = await kms('Decrypt', { CiphertextBlob: b64(bytes), EncryptionContext: context });
      expect([response.status, response.body.__type], name).toEqual([400, 'InvalidCiphertextException']);
    }
  });

  it('caches each version’s root key as a non-extractable HKDF key, and no direct AES key when only format 2 is used', async () => {
    const keyId = await createKey();
    await ok('Encrypt', { KeyId: keyId, Plaintext: b64(utf8('cache me')) });
    const cached = await runInDurableObject(keyStub(keyId), async (instance) => {
      const material = await (instance as any).versions.unsealed.get(1);
      const derivation = (await material.derivationKey) as CryptoKey;
      return { algorithm: derivation.algorithm.name, extractable: derivation.extractable, usages: derivation.usages, direct: material.directAesKey };
    });
    expect(cached).toEqual({ algorithm: 'HKDF', extractable: false, usages: ['deriveKey'], direct: undefined });
  });
});

describe('ciphertext blob format 1 (read only)', () => {
  it('a blob written by 9667b21 still decrypts, only with its context, and ReEncrypt rewrites it as format 2', async () => {
    const keyId = await installFormat1Key();
    const blob = unb64(FORMAT_1_FIXTURE.blob);
    expect(blob[2]).toBe(1);
    const decrypted = await ok('Decrypt', { CiphertextBlob: FORMAT_1_FIXTURE.blob, EncryptionContext: FORMAT_1_FIXTURE.context });
    expect(decrypted.Plaintext).toBe(FORMAT_1_FIXTURE.plaintext);
    expect(decrypted.KeyId).toBe(`arn:aws:kms:us-east-1:111122223333:key/${keyId}`);
    await refusedAsInvalid(blob, { ...FORMAT_1_FIXTURE.context, tenant: 'other' });

    const moved = await ok('ReEncrypt', {
      CiphertextBlob: FORMAT_1_FIXTURE.blob,
      SourceEncryptionContext: FORMAT_1_FIXTURE.context,
      DestinationKeyId: keyId,
      DestinationEncryptionContext: context,
    });
    expect(unb64(moved.CiphertextBlob)[2]).toBe(2);
    expect((await ok('Decrypt', { CiphertextBlob: moved.CiphertextBlob, EncryptionContext: context })).Plaintext).toBe(FORMAT_1_FIXTURE.plaintext);
  });

  it('a tampered format-1 blob is InvalidCiphertextException (400)', async () => {
    await installFormat1Key();
    const blob = unb64(FORMAT_1_FIXTURE.blob);
    // Format 2 reads these 89 bytes as too short; the others break the IV, the body or the tag.
    for (const position of [2, 43, 54, 55, blob.length - 1]) {
      const flipped = blob.slice();
      flipped[position]! ^= position === 2 ? 0x03 : 0x01;
      await refusedAsInvalid(flipped, FORMAT_1_FIXTURE.context);
    }
    await refusedAsInvalid(blob.subarray(0, blob.length - 1), FORMAT_1_FIXTURE.context);
  });
});
