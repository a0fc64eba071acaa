import { aeskwp } from '@noble/ciphers/aes.js';
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { auditCount, b64, createKey, editStoredRecord, indexOfBytes, kms, keyStub, ok, refused, unb64, utf8 } from './helpers';

/**
 * Imported key material (Origin EXTERNAL, issue 16) in workerd: the states
 * AWS KMS documents, each wrapping algorithm, the one-use import token, the
 * expiry on the key's alarm, and the refusals of the import operations.
 * The caller's side of the wrapping is WebCrypto and @noble/ciphers here.
 */

const ARN = (keyId: string) => `arn:aws:kms:us-east-1:111122223333:key/${keyId}`;
const DAY = 86_400;

type Algorithm = 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256' | 'RSA_AES_KEY_WRAP_SHA_1' | 'RSA_AES_KEY_WRAP_SHA_256';

async function parameters(keyId: string, algorithm: Algorithm = 'RSAES_OAEP_SHA_256', spec = 'RSA_2048') {
  return ok('GetParametersForImport', { KeyId: keyId, WrappingAlgorithm: algorithm, WrappingKeySpec: spec });
}

/** What a caller does with GetParametersForImport's public key, as AWS KMS documents it. */
async function wrap(publicKey: string, algorithm: Algorithm, material: Uint8Array): Promise<Uint8Array> {
  const hash = algorithm.endsWith('SHA_1') ? 'SHA-1' : 'SHA-256';
  const rsa = await crypto.subtle.importKey('spki', unb64(publicKey), { name: 'RSA-OAEP', hash }, false, ['encrypt']);
  if (algorithm.startsWith('RSAES')) return new Uint8Array(await crypto.subtle.encrypt({ name: 'RSA-OAEP' }, rsa, material));
  const aesKey = crypto.getRandomValues(new Uint8Array(32));
  const wrappedKey = new Uint8Array(await crypto.subtle.encrypt({ name: 'RSA-OAEP' }, rsa, aesKey));
  const wrappedMaterial = aeskwp(aesKey).encrypt(material);
  const out = new Uint8Array(wrappedKey.length + wrappedMaterial.length);
  out.set(wrappedKey);
  out.set(wrappedMaterial, wrappedKey.length);
  return out;
}

async function importMaterial(keyId: string, material: Uint8Array, options: Record<string, unknown> = { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }, algorithm: Algorithm = 'RSAES_OAEP_SHA_256') {
  const { PublicKey, ImportToken } = await parameters(keyId, algorithm);
  return kms('ImportKeyMaterial', { KeyId: keyId, ImportToken, EncryptedKeyMaterial: b64(await wrap(PublicKey, algorithm, material)), ...options });
}

async function storedNames(keyId: string): Promise<string[]> {
  return runInDurableObject(keyStub(keyId), async (_instance, state) => [...(await state.storage.list()).keys()]);
}

describe('CreateKey with Origin EXTERNAL', () => {
  it('makes a key in PendingImport, without material, that refuses use with AWS KMS\'s message', async () => {
    const keyId = await createKey({ Origin: 'EXTERNAL' });
    const { KeyMetadata } = await ok('DescribeKey', { KeyId: keyId });
    expect(KeyMetadata).toMatchObject({ Origin: 'EXTERNAL', KeyState: 'PendingImport', Enabled: false, KeySpec: 'SYMMETRIC_DEFAULT' });
    expect(KeyMetadata).not.toHaveProperty('ExpirationModel');
    expect(KeyMetadata).not.toHaveProperty('ValidTo');
    expect(KeyMetadata).not.toHaveProperty('CurrentKeyMaterialId');
    expect((await storedNames(keyId)).filter((name) => name.startsWith('version:'))).toEqual([]);

    const encrypt = await refused('Encrypt', { KeyId: keyId, Plaintext: 'aGk=' }, 'KMSInvalidStateException');
    expect(encrypt.body.message).toBe(`${ARN(keyId)} is pending import.`);
    await refused('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' }, 'KMSInvalidStateException');
    await refused('EnableKey', { KeyId: keyId }, 'KMSInvalidStateException');
    await refused('DisableKey', { KeyId: keyId }, 'KMSInvalidStateException');
    await refused('EnableKeyRotation', { KeyId: keyId }, 'KMSInvalidStateException');
    // Management goes on as AWS's key state table has it.
    await ok('TagResource', { KeyId: keyId, Tags: [{ TagKey: 'byok', TagValue: 'yes' }] });
    await ok('UpdateKeyDescription', { KeyId: keyId, Description: 'waiting for material' });
  });

  it('import operations on a key with generated material answer UnsupportedOperationException', async () => {
    const keyId = await createKey();
    const refusal = await refused('GetParametersForImport', { KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }, 'UnsupportedOperationException');
    expect(refusal.body.message).toBe(`${ARN(keyId)} origin is AWS_KMS which is not valid for this operation.`);
    await refused('DeleteImportedKeyMaterial', { KeyId: keyId }, 'UnsupportedOperationException');
  });
});

describe('GetParametersForImport', () => {
  it('answers an RSA public key of the spec asked for, a token, and a 24-hour validity', async () => {
    const keyId = await createKey({ Origin: 'EXTERNAL' });
    for (const [spec, bits] of [['RSA_2048', 2048], ['RSA_3072', 3072]] as const) {
      const before = Date.now() / 1000;
      const answer = await parameters(keyId, 'RSA_AES_KEY_WRAP_SHA_256', spec);
      expect(answer.KeyId).toBe(ARN(keyId));
      const key = await crypto.subtle.importKey('spki', unb64(answer.PublicKey), { name: 'RSA-OAEP', hash: 'SHA-256' }, true, ['encrypt']);
      expect((key.algorithm as { modulusLength?: number }).modulusLength).toBe(bits);
      expect(answer.ParametersValidTo).toBeGreaterThanOrEqual(before + DAY - 1);
      expect(answer.ParametersValidTo).toBeLessThanOrEqual(Date.now() / 1000 + DAY + 1);
      expect(unb64(answer.ImportToken).length).toBeGreaterThan(0);
    }
  });

  it('refuses RSAES_PKCS1_V1_5 (withdrawn by AWS KMS) and wrapping specs it does not have', async () => {
    const keyId = await createKey({ Origin: 'EXTERNAL' });
    await refused('GetParametersForImport', { KeyId: keyId, WrappingAlgorithm: 'RSAES_PKCS1_V1_5', WrappingKeySpec: 'RSA_2048' }, 'ValidationException');
    await refused('GetParametersForImport', { KeyId: keyId, WrappingAlgorithm: 'SM2PKE', WrappingKeySpec: 'SM2' }, 'ValidationException');
    await refused('GetParametersForImport', { KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_1024' }, 'ValidationException');
    await refused('GetParametersForImport', { KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256' }, 'ValidationException');
  });

  it('keeps the wrapping private key only sealed in the key\'s object, and never in a response', async () => {
    const keyId = await createKey({ Origin: 'EXTERNAL' });
    const answer = await parameters(keyId);
    const tokens = await runInDurableObject(keyStub(keyId), async (_instance, state) => [...(await state.storage.list<Record<string, any>>({ prefix: 'import-token:' })).values()]);
    expect(tokens).toHaveLength(1);
    // A sealed blob (format 2: a root id and AES-GCM), not a DER private key (which starts 0x30).
    expect(tokens[0]!.sealedPrivateKey[0]).toBe(2);
    expect(JSON.stringify(answer)).not.toContain(b64(tokens[0]!.sealedPrivateKey).slice(0, 40));
  });
});

describe('ImportKeyMaterial', () => {
  it('imports 256-bit material with each wrapping algorithm; the key is Enabled and encrypts', async () => {
    for (const algorithm of ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'RSA_AES_KEY_WRAP_SHA_1', 'RSA_AES_KEY_WRAP_SHA_256'] as const) {
      const keyId = await createKey({ Origin: 'EXTERNAL' });
      const imported = await importMaterial(keyId, crypto.getRandomValues(new Uint8Array(32)), { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }, algorithm);
      expect(imported.status, `${algorithm}: ${JSON.stringify(imported.body)}`).toBe(200);
      expect(imported.body).toEqual({ KeyId: ARN(keyId), KeyMaterialId: expect.stringMatching(/^[a-f0-9]{64}$/) });
      const { KeyMetadata } = await ok('DescribeKey', { KeyId: keyId });
      expect(KeyMetadata).toMatchObject({ KeyState: 'Enabled', Enabled: true, Origin: 'EXTERNAL', ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', CurrentKeyMaterialId: imported.body.KeyMaterialId });
      expect(KeyMetadata).not.toHaveProperty('ValidTo');
      const { CiphertextBlob } = await ok('Encrypt', { KeyId: keyId, Plaintext: b64(utf8(algorithm)) });
      expect(new TextDecoder().decode(unb64((await ok('Decrypt', { CiphertextBlob })).Plaintext))).toBe(algorithm);
    }
  });

  it('uses each token once, for its own key only, and deletes its wrapping key when used', async () => {
    const keyId = await createKey({ Origin: 'EXTERNAL' });
    const other = await createKey({ Origin: 'EXTERNAL' });
    const material = crypto.getRandomValues(new Uint8Array(32));
    const { PublicKey, ImportToken } = await parameters(keyId);
    const EncryptedKeyMaterial = b64(await wrap(PublicKey, 'RSAES_OAEP_SHA_256', material));
    const body = { ImportToken, EncryptedKeyMaterial, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' };
    await refused('ImportKeyMaterial', { KeyId: other, ...body }, 'InvalidImportTokenException');
    await ok('ImportKeyMaterial', { KeyId: keyId, ...body });
    expect((await storedNames(keyId)).filter((name) => name.startsWith('import-token:'))).toEqual([]);
    await refused('ImportKeyMaterial', { KeyId: keyId, ...body }, 'InvalidImportTokenException');
    await refused('ImportKeyMaterial', { KeyId: keyId, ...body, ImportToken: b64(new Uint8Array([1, 2, 3])) }, 'InvalidImportTokenException');
  });

  it('a token past its 24 hours is ExpiredImportTokenException, and the alarm deletes ended tokens', async () => {
    const keyId = await createKey({ Origin: 'EXTERNAL' });
    const { PublicKey, ImportToken } = await parameters(keyId);
    await parameters(keyId);
    const record = await runInDurableObject(keyStub(keyId), async (_instance, state) => state.storage.get<Record<string, any>>('key'));
    expect(record!.importTokensExpireAt).toBeGreaterThan(Date.now());
    expect(await runInDurableObject(keyStub(keyId), (_instance, state) => state.storage.getAlarm())).toBe(record!.importTokensExpireAt);
    await runInDurableObject(keyStub(keyId), async (_instance, state) => {
      for (const [name, token] of await state.storage.list<Record<string, any>>({ prefix: 'import-token:' })) await state.storage.put(name, { ...token, validTo: Date.now() - 1000 });
    });
    const EncryptedKeyMaterial = b64(await wrap(PublicKey, 'RSAES_OAEP_SHA_256', crypto.getRandomValues(new Uint8Array(32))));
    await refused('ImportKeyMaterial', { KeyId: keyId, ImportToken, EncryptedKeyMaterial, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }, 'ExpiredImportTokenException');
    // The other token ended too; the expired answer pruned it, and the alarm finds nothing left to do.
    await editStoredRecord(keyId, (stored) => void (stored.importTokensExpireAt = Date.now() - 1000));
    expect(await runDurableObjectAlarm(keyStub(keyId))).toBe(true);
    expect((await storedNames(keyId)).filter((name) => name.startsWith('import-token:'))).toEqual([]);
    expect((await ok('DescribeKey', { KeyId: keyId })).KeyMetadata.KeyState).toBe('PendingImport');
  });

  it('refuses material that does not open, or that is not of the key\'s spec, with the documented errors', async () => {
    const keyId = await createKey({ Origin: 'EXTERNAL' });
    const { ImportToken } = await parameters(keyId);
    const garbage = await kms('ImportKeyMaterial', { KeyId: keyId, ImportToken, EncryptedKeyMaterial: b64(crypto.getRandomValues(new Uint8Array(256))), ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
    expect(garbage.body).toEqual({ __type: 'InvalidCiphertextException', message: '' });
    expect((await importMaterial(keyId, crypto.getRandomValues(new Uint8Array(16)))).body.__type).toBe('IncorrectKeyMaterialException');
    expect((await ok('DescribeKey', { KeyId: keyId })).KeyMetadata.KeyState).toBe('PendingImport');
  });

  it('a failed unwrap uses the token up too: the wrapping key decrypts once, so it is no decryption oracle', async () => {
    const keyId = await createKey({ Origin: 'EXTERNAL' });
    const { PublicKey, ImportToken } = await parameters(keyId);
    const body = { KeyId: keyId, ImportToken, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' };
    await refused('ImportKeyMaterial', { ...body, EncryptedKeyMaterial: b64(new Uint8Array(256).fill(1)) }, 'InvalidCiphertextException');
    const good = b64(await wrap(PublicKey, 'RSAES_OAEP_SHA_256', crypto.getRandomValues(new Uint8Array(32))));
    await refused('ImportKeyMaterial', { ...body, EncryptedKeyMaterial: good }, 'InvalidImportTokenException');
    expect((await storedNames(keyId)).filter((name) => name.startsWith('import-token:'))).toEqual([]);
  });

  it('the key\'s storage holds the imported material only sealed', async () => {
    const keyId = await createKey({ Origin: 'EXTERNAL', KeySpec: 'HMAC_512', KeyUsage: 'GENERATE_VERIFY_MAC' });
    const material = crypto.getRandomValues(new Uint8Array(128));
    expect((await importMaterial(keyId, material, undefined, 'RSA_AES_KEY_WRAP_SHA_1')).status).toBe(200);
    const dump = await runInDurableObject(keyStub(keyId), async (_instance, state) => {
      const values = [...(await state.storage.list()).values()].map((value) => structuredClone(value));
      return new TextEncoder().encode(JSON.stringify(values, (_key, value) => (value instanceof Uint8Array ? b64(value) : value)));
    });
    const raw = await runInDurableObject(keyStub(keyId), async (_instance, state) => [...(await state.storage.list()).values()]);
    const bytes = raw.flatMap((value) => Object.values(value as Record<string, unknown>).filter((field): field is Uint8Array => field instanceof Uint8Array));
    expect(bytes.length).toBeGreaterThan(0);
    for (const field of bytes) expect(indexOfBytes(field, material.subarray(0, 16))).toBe(-1);
    expect(indexOfBytes(dump, utf8(b64(material).slice(0, 24)))).toBe(-1);
  });

  it('checks ExpirationModel and ValidTo as AWS KMS does', async () => {
    const keyId = await createKey({ Origin: 'EXTERNAL' });
    const now = Date.now() / 1000;
    const base = { KeyId: keyId, ImportToken: b64(new Uint8Array(17)), EncryptedKeyMaterial: b64(new Uint8Array(256)) };
    await refused('ImportKeyMaterial', base, 'ValidationException'); // KEY_MATERIAL_EXPIRES is the default and needs ValidTo
    await refused('ImportKeyMaterial', { ...base, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ValidTo: now + 3600 }, 'ValidationException');
    await refused('ImportKeyMaterial', { ...base, ValidTo: now - 60 }, 'ValidationException');
    await refused('ImportKeyMaterial', { ...base, ValidTo: now + 366 * DAY }, 'ValidationException');
    await refused('ImportKeyMaterial', { ...base, ExpirationModel: 'NEVER' }, 'ValidationException');
  });

  it('imports HMAC material of the lengths AWS allows, and asymmetric PKCS#8 keys that then sign', async () => {
    const hmacKey = await createKey({ Origin: 'EXTERNAL', KeySpec: 'HMAC_384', KeyUsage: 'GENERATE_VERIFY_MAC' });
    expect((await importMaterial(hmacKey, new Uint8Array(47).fill(7))).body.__type).toBe('IncorrectKeyMaterialException');
    const hmacMaterial = crypto.getRandomValues(new Uint8Array(64));
    expect((await importMaterial(hmacKey, hmacMaterial)).status).toBe(200);
    const { Mac } = await ok('GenerateMac', { KeyId: hmacKey, Message: b64(utf8('hello')), MacAlgorithm: 'HMAC_SHA_384' });
    const own = await crypto.subtle.importKey('raw', hmacMaterial, { name: 'HMAC', hash: 'SHA-384' }, false, ['sign']);
    expect(Mac).toBe(b64(new Uint8Array(await crypto.subtle.sign('HMAC', own, utf8('hello')))));

    const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const pkcs8 = new Uint8Array((await crypto.subtle.exportKey('pkcs8', pair.privateKey)) as ArrayBuffer);
    const eccKey = await createKey({ Origin: 'EXTERNAL', KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    // A P-256 key is not RSA key material: refused for an RSA key.
    const rsaKey = await createKey({ Origin: 'EXTERNAL', KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' });
    expect((await importMaterial(rsaKey, pkcs8, undefined, 'RSA_AES_KEY_WRAP_SHA_256')).body.__type).toBe('IncorrectKeyMaterialException');
    expect((await importMaterial(eccKey, pkcs8, undefined, 'RSA_AES_KEY_WRAP_SHA_256')).status).toBe(200);
    const spki = new Uint8Array((await crypto.subtle.exportKey('spki', pair.publicKey)) as ArrayBuffer);
    expect((await ok('GetPublicKey', { KeyId: eccKey })).PublicKey).toBe(b64(spki));
    const { Signature } = await ok('Sign', { KeyId: eccKey, Message: b64(utf8('signed')), SigningAlgorithm: 'ECDSA_SHA_256' });
    expect((await ok('Verify', { KeyId: eccKey, Message: b64(utf8('signed')), Signature, SigningAlgorithm: 'ECDSA_SHA_256' })).SignatureValid).toBe(true);
  });
});

describe('deletion, expiry and re-import of imported material', () => {
  it('DeleteImportedKeyMaterial returns the key to PendingImport; the same material restores it, other material is refused', async () => {
    const keyId = await createKey({ Origin: 'EXTERNAL' });
    const material = crypto.getRandomValues(new Uint8Array(32));
    const first = await importMaterial(keyId, material);
    const { CiphertextBlob } = await ok('Encrypt', { KeyId: keyId, Plaintext: 'aGk=' });
    expect(await ok('DeleteImportedKeyMaterial', { KeyId: keyId })).toEqual(first.body);
    const { KeyMetadata } = await ok('DescribeKey', { KeyId: keyId });
    expect(KeyMetadata).toMatchObject({ KeyState: 'PendingImport', Enabled: false, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
    expect(KeyMetadata).not.toHaveProperty('CurrentKeyMaterialId');
    expect((await storedNames(keyId)).filter((name) => name.startsWith('version:'))).toEqual([]);
    await refused('Decrypt', { CiphertextBlob }, 'KMSInvalidStateException');

    const wrong = await importMaterial(keyId, crypto.getRandomValues(new Uint8Array(32)));
    expect(wrong.body.__type).toBe('IncorrectKeyMaterialException');
    const again = await importMaterial(keyId, material, { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ImportType: 'EXISTING_KEY_MATERIAL' });
    expect(again.body).toEqual(first.body);
    expect((await ok('Decrypt', { CiphertextBlob })).Plaintext).toBe('aGk=');
    // A re-import into an Enabled key changes only the expiration; NEW_KEY_MATERIAL of the same material is refused.
    expect((await importMaterial(keyId, material, { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ImportType: 'NEW_KEY_MATERIAL' })).body.__type).toBe('IncorrectKeyMaterialException');
    expect((await auditCount(keyId, 'kms:ImportKeyMaterial'))).toBe(2);
    expect((await auditCount(keyId, 'kms:DeleteImportedKeyMaterial'))).toBe(1);
    expect((await auditCount(keyId, 'kms:GetParametersForImport'))).toBe(4);
  });

  it('material that expires is deleted by the key\'s alarm, which the trail records; a re-import restores the key', async () => {
    const keyId = await createKey({ Origin: 'EXTERNAL' });
    const material = crypto.getRandomValues(new Uint8Array(32));
    const validTo = Math.floor(Date.now() / 1000) + 3600;
    expect((await importMaterial(keyId, material, { ValidTo: validTo })).status).toBe(200);
    const { KeyMetadata } = await ok('DescribeKey', { KeyId: keyId });
    expect(KeyMetadata).toMatchObject({ KeyState: 'Enabled', ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: validTo });
    const { CiphertextBlob } = await ok('Encrypt', { KeyId: keyId, Plaintext: 'aGk=' });
    // The import token is used up; what the alarm waits for now is the expiry.
    expect(await runInDurableObject(keyStub(keyId), (_instance, state) => state.storage.getAlarm())).toBe(validTo * 1000);

    // Before the expiry the alarm leaves the material alone.
    expect(await runDurableObjectAlarm(keyStub(keyId))).toBe(true);
    expect((await ok('DescribeKey', { KeyId: keyId })).KeyMetadata.KeyState).toBe('Enabled');

    await editStoredRecord(keyId, (record) => void (record.imported.validTo = Date.now() - 1000));
    expect(await runDurableObjectAlarm(keyStub(keyId))).toBe(true);
    const expired = (await ok('DescribeKey', { KeyId: keyId })).KeyMetadata;
    expect(expired).toMatchObject({ KeyState: 'PendingImport', Enabled: false, ExpirationModel: 'KEY_MATERIAL_EXPIRES' });
    expect(expired).not.toHaveProperty('ValidTo');
    expect((await storedNames(keyId)).filter((name) => name.startsWith('version:'))).toEqual([]);
    await refused('Decrypt', { CiphertextBlob }, 'KMSInvalidStateException');
    const trail = await ok('ListAuditRecords', { KeyId: keyId, Limit: 100 });
    expect(trail.Records.map((record: { Operation: string }) => record.Operation)).toContain('edgekms:DeleteExpiredKeyMaterial');

    expect((await importMaterial(keyId, material)).status).toBe(200);
    expect((await ok('Decrypt', { CiphertextBlob })).Plaintext).toBe('aGk=');
    expect((await ok('DescribeKey', { KeyId: keyId })).KeyMetadata).toMatchObject({ KeyState: 'Enabled', ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
  });

  it('a key pending deletion keeps that state when its material goes, and comes back PendingImport when the deletion is cancelled', async () => {
    const keyId = await createKey({ Origin: 'EXTERNAL' });
    await importMaterial(keyId, crypto.getRandomValues(new Uint8Array(32)));
    await ok('ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 });
    await ok('DeleteImportedKeyMaterial', { KeyId: keyId });
    expect((await ok('DescribeKey', { KeyId: keyId })).KeyMetadata.KeyState).toBe('PendingDeletion');
    await ok('CancelKeyDeletion', { KeyId: keyId });
    expect((await ok('DescribeKey', { KeyId: keyId })).KeyMetadata.KeyState).toBe('PendingImport');
  });

  it('imported keys do not rotate', async () => {
    const keyId = await createKey({ Origin: 'EXTERNAL' });
    await importMaterial(keyId, crypto.getRandomValues(new Uint8Array(32)));
    await refused('EnableKeyRotation', { KeyId: keyId }, 'UnsupportedOperationException');
    await refused('RotateKeyOnDemand', { KeyId: keyId }, 'UnsupportedOperationException');
  });
});
