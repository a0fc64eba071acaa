/**
 * The EdgeKMS keyring's side of the contract, against a fake client: what it sends, what it
 * stores, which EDKs it tries, and what service answers it refuses to trust. The real service
 * is in test/workers/sdk-keyring.test.ts. Web platform only: runs in Node, workerd and Chromium.
 */
import { CompactEncrypt, calculateJwkThumbprint, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_KEYRING_MAX_ENCRYPTED_DATA_KEYS,
  type DecryptInput,
  type EdgeKmsKeyringClient,
  EdgeKmsKeyring,
  type EncryptInput,
  type GenerateDataKeyInput,
  InvalidArgumentError,
  KeyringError,
  MultiKeyring,
  NoDecryptableKeyError,
  PUBLIC_KEY_CONTEXT_KEY,
  SUITE_AES256_HKDF_SHA512_COMMIT_KEY,
  SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
  decrypt,
  decryptStream,
  encrypt,
} from '../../sdk/index';
import { expectRejection, rawKeyring } from './helpers';
import { expectStreamError, readOutcome } from './stream-helpers';

const ARN_A = 'arn:aws:kms:us-east-1:111122223333:key/aaaaaaaa-0000-4000-8000-000000000001';
const ARN_B = 'arn:aws:kms:us-east-1:111122223333:key/bbbbbbbb-0000-4000-8000-000000000002';
const ARN_OTHER_ACCOUNT = 'arn:aws:kms:us-east-1:444455556666:key/cccccccc-0000-4000-8000-000000000003';
const keyIdOf = (arn: string) => arn.slice(arn.indexOf('key/') + 4);
const fromUtf8 = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const meta = { $metadata: { requestId: 'r', status: 200, attempts: 1 } };

/**
 * The secret member of an answer, as the service makes it (worker/operations/recipient.ts): with
 * a Recipient, a compact JWE from jose for its public key and no Plaintext.
 */
async function secretAnswer(input: GenerateDataKeyInput | DecryptInput, plaintext: Uint8Array) {
  if (input.Recipient === undefined) return { Plaintext: plaintext };
  const jwk = input.Recipient.PublicKey;
  const jwe = await new CompactEncrypt(plaintext)
    .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: await calculateJwkThumbprint(jwk) })
    .encrypt(await importJWK(jwk, 'ECDH-ES+A256KW'));
  return { CiphertextForRecipient: new TextEncoder().encode(jwe) };
}

/**
 * A service in memory: a "blob" is the key ARN's index, the data key and the context, so Decrypt
 * can check what the real one checks. `tamper` edits answers before they are returned.
 */
function fakeService(tamper: { decryptKeyId?: string; plaintextLength?: number } = {}) {
  const arns = [ARN_A, ARN_B, ARN_OTHER_ACCOUNT];
  const calls: { op: string; input: GenerateDataKeyInput | EncryptInput | DecryptInput }[] = [];
  const resolve = (keyId: string) => {
    const arn = arns.find((candidate) => candidate === keyId || keyIdOf(candidate) === keyId);
    if (arn === undefined) throw Object.assign(new Error('no such key'), { name: 'NotFoundException' });
    return arn;
  };
  const blobs: { arn: string; key: Uint8Array; context: string }[] = [];
  const canonical = (context: unknown) => JSON.stringify(Object.entries(context ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const wrap = (arn: string, key: Uint8Array, context: unknown) => {
    blobs.push({ arn, key: Uint8Array.from(key), context: canonical(context) });
    return Uint8Array.of(blobs.length - 1);
  };
  const client: EdgeKmsKeyringClient = {
    async generateDataKey(input) {
      calls.push({ op: 'GenerateDataKey', input });
      const arn = resolve(input.KeyId);
      const key = crypto.getRandomValues(new Uint8Array(input.NumberOfBytes ?? 32));
      return { KeyId: arn, ...(await secretAnswer(input, key)), CiphertextBlob: wrap(arn, key, input.EncryptionContext), ...meta };
    },
    async encrypt(input) {
      calls.push({ op: 'Encrypt', input });
      const arn = resolve(input.KeyId);
      return { KeyId: arn, CiphertextBlob: wrap(arn, input.Plaintext, input.EncryptionContext), ...meta };
    },
    async decrypt(input) {
      calls.push({ op: 'Decrypt', input });
      const blob = blobs[input.CiphertextBlob[0]!];
      if (blob === undefined || blob.context !== canonical(input.EncryptionContext)) {
        throw Object.assign(new Error('bad ciphertext'), { name: 'InvalidCiphertextException' });
      }
      if (input.KeyId !== undefined && resolve(input.KeyId) !== blob.arn) throw Object.assign(new Error('wrong key'), { name: 'IncorrectKeyException' });
      const plaintext = tamper.plaintextLength === undefined ? blob.key : new Uint8Array(tamper.plaintextLength);
      return { KeyId: tamper.decryptKeyId ?? blob.arn, ...(await secretAnswer(input, plaintext)), ...meta };
    },
  };
  return { client, calls };
}

describe('EdgeKmsKeyring', () => {
  it('generates with the generator and the message context, wraps with each further key, stores aws-kms EDKs', async () => {
    const { client, calls } = fakeService();
    const keyring = new EdgeKmsKeyring({ client, generatorKeyId: keyIdOf(ARN_A), keyIds: [ARN_B], grantTokens: ['g1'] });
    const { ciphertext, header } = await encrypt(keyring, 'hello', {
      encryptionContext: { tenant: 'acme' },
      suite: SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
    });
    expect(calls.map((call) => call.op)).toEqual(['GenerateDataKey', 'Encrypt']);
    const generate = calls[0]!.input as GenerateDataKeyInput;
    expect(generate).toMatchObject({ KeyId: keyIdOf(ARN_A), NumberOfBytes: 32, GrantTokens: ['g1'] });
    // The whole message context, the signed suite's public key included, as the AWS SDK sends it.
    expect(Object.keys(generate.EncryptionContext!).sort()).toEqual([PUBLIC_KEY_CONTEXT_KEY, 'tenant']);
    expect(calls[1]!.input).toMatchObject({ KeyId: ARN_B, EncryptionContext: generate.EncryptionContext, GrantTokens: ['g1'] });
    expect(header.encryptedDataKeys.map((edk) => [edk.providerId, fromUtf8(edk.providerInfo)])).toEqual([
      ['aws-kms', ARN_A],
      ['aws-kms', ARN_B],
    ]);

    calls.length = 0;
    const result = await decrypt(new EdgeKmsKeyring({ client, keyIds: [ARN_B] }), ciphertext);
    expect(fromUtf8(result.plaintext)).toBe('hello');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.input).toMatchObject({ KeyId: ARN_B, CiphertextBlob: header.encryptedDataKeys[1]!.ciphertext });
  });

  it('leaves an empty context out of its requests', async () => {
    const { client, calls } = fakeService();
    const { ciphertext } = await encrypt(new EdgeKmsKeyring({ client, generatorKeyId: ARN_A }), 'x');
    await decrypt(new EdgeKmsKeyring({ client, keyIds: [ARN_A] }), ciphertext);
    for (const { input } of calls) expect(input).not.toHaveProperty('EncryptionContext');
  });

  it('as a MultiKeyring child, its generator key wraps the existing data key with Encrypt', async () => {
    const { client, calls } = fakeService();
    const multi = new MultiKeyring({ generator: rawKeyring(), children: [new EdgeKmsKeyring({ client, generatorKeyId: ARN_A })] });
    const { ciphertext, header } = await encrypt(multi, 'child');
    expect(calls.map((call) => call.op)).toEqual(['Encrypt']);
    expect(header.encryptedDataKeys.map((edk) => edk.providerId)).toEqual(['edgekms-tests', 'aws-kms']);
    expect(fromUtf8((await decrypt(new EdgeKmsKeyring({ client, keyIds: [ARN_A] }), ciphertext)).plaintext)).toBe('child');
  });

  it('tries only aws-kms EDKs of configured keys, in message order, until one unwraps', async () => {
    const { client, calls } = fakeService();
    const { ciphertext } = await encrypt(
      new MultiKeyring({ generator: rawKeyring(), children: [new EdgeKmsKeyring({ client, keyIds: [ARN_OTHER_ACCOUNT, ARN_A, ARN_B] })] }),
      'order',
    );
    calls.length = 0;
    // Configured: B (by ARN) and A (by bare key id). The other account's EDK is never sent.
    await decrypt(new EdgeKmsKeyring({ client, keyIds: [ARN_B, keyIdOf(ARN_A)] }), ciphertext);
    expect(calls.map((call) => (call.input as DecryptInput).KeyId)).toEqual([ARN_A]);

    calls.length = 0;
    const error = await decrypt(new EdgeKmsKeyring({ client, keyIds: ['alias/app'] }), ciphertext).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoDecryptableKeyError);
    expect((error as Error).message).toContain(ARN_A);
    expect((error as Error).message).toContain('aliases never match');
    expect(calls).toHaveLength(0);
  });

  it('discovery, only when enabled, tries any key ARN the filter allows', async () => {
    const { client, calls } = fakeService();
    const { ciphertext } = await encrypt(new EdgeKmsKeyring({ client, generatorKeyId: ARN_OTHER_ACCOUNT }), 'found');
    calls.length = 0;
    expect(fromUtf8((await decrypt(new EdgeKmsKeyring({ client, discovery: true }), ciphertext)).plaintext)).toBe('found');
    const filtered = new EdgeKmsKeyring({ client, discovery: true, discoveryFilter: { partition: 'aws', accountIds: ['111122223333'] } });
    await expect(decrypt(filtered, ciphertext)).rejects.toBeInstanceOf(NoDecryptableKeyError);
    expect(calls).toHaveLength(1);
    await expect(encrypt(new EdgeKmsKeyring({ client, discovery: true }), 'no')).rejects.toBeInstanceOf(KeyringError);
  });

  it('refuses a message with more encrypted data keys than its limit (default 10) before any request', async () => {
    expect(DEFAULT_KEYRING_MAX_ENCRYPTED_DATA_KEYS).toBe(10);
    const { client, calls } = fakeService();
    // What a hostile writer can make: eleven EDKs, all naming keys of the account.
    const eleven = new EdgeKmsKeyring({ client, generatorKeyId: ARN_A, keyIds: Array.from({ length: 10 }, () => ARN_B) });
    const { ciphertext, header } = await encrypt(eleven, 'too many');
    expect(header.encryptedDataKeys).toHaveLength(11);
    const accountFilter = { partition: 'aws', accountIds: ['111122223333'] };

    calls.length = 0;
    for (const keyring of [
      new EdgeKmsKeyring({ client, discovery: true }),
      new EdgeKmsKeyring({ client, discovery: true, discoveryFilter: accountFilter }),
      new EdgeKmsKeyring({ client, keyIds: [ARN_A] }),
      new EdgeKmsKeyring({ client, discovery: true, maxEncryptedDataKeys: 10 }),
    ]) {
      await expectRejection(decrypt(keyring, ciphertext), 'TooManyEncryptedDataKeysError');
      expectStreamError(await readOutcome(new Blob([ciphertext]).stream().pipeThrough(decryptStream(keyring))), 'TooManyEncryptedDataKeysError');
    }
    expect(calls).toHaveLength(0);

    // Raised explicitly, the same message decrypts with one request.
    const raised = new EdgeKmsKeyring({ client, discovery: true, discoveryFilter: accountFilter, maxEncryptedDataKeys: 11 });
    expect(fromUtf8((await decrypt(raised, ciphertext)).plaintext)).toBe('too many');
    expect(calls.map((call) => call.op)).toEqual(['Decrypt']);
  });

  it('refuses a Decrypt answer from another key than the EDK names', async () => {
    const { client } = fakeService({ decryptKeyId: ARN_B });
    const { ciphertext } = await encrypt(new EdgeKmsKeyring({ client, generatorKeyId: ARN_A }), 'x');
    const error = (await decrypt(new EdgeKmsKeyring({ client, keyIds: [ARN_A] }), ciphertext).catch((e: unknown) => e)) as NoDecryptableKeyError;
    expect(error).toBeInstanceOf(NoDecryptableKeyError);
    expect(error.causes[0]).toBeInstanceOf(KeyringError);
    expect(String(error.causes[0])).toContain(ARN_B);
  });

  it('refuses a data key of the wrong length from Decrypt or GenerateDataKey', async () => {
    const { client } = fakeService({ plaintextLength: 16 });
    const { ciphertext } = await encrypt(new EdgeKmsKeyring({ client, generatorKeyId: ARN_A }), 'x', { suite: SUITE_AES256_HKDF_SHA512_COMMIT_KEY });
    const error = (await decrypt(new EdgeKmsKeyring({ client, keyIds: [ARN_A] }), ciphertext).catch((e: unknown) => e)) as NoDecryptableKeyError;
    expect(error.causes[0]).toBeInstanceOf(KeyringError);

    const short: EdgeKmsKeyringClient = {
      ...client,
      generateDataKey: async () => ({ KeyId: ARN_A, Plaintext: new Uint8Array(16), CiphertextBlob: Uint8Array.of(1), ...meta }),
    };
    // These two answer as a service does without a Recipient.
    await expect(encrypt(new EdgeKmsKeyring({ client: short, generatorKeyId: ARN_A, recipient: false }), 'x')).rejects.toBeInstanceOf(KeyringError);
    const noArn: EdgeKmsKeyringClient = {
      ...client,
      generateDataKey: async () => ({ KeyId: 'alias/x', Plaintext: new Uint8Array(32), CiphertextBlob: Uint8Array.of(1), ...meta }),
    };
    await expect(encrypt(new EdgeKmsKeyring({ client: noArn, generatorKeyId: ARN_A, recipient: false }), 'x')).rejects.toThrow(/no key ARN/);
  });

  it('passes service errors through on encrypt, and collects them on decrypt', async () => {
    const { client } = fakeService();
    await expect(encrypt(new EdgeKmsKeyring({ client, generatorKeyId: 'missing' }), 'x')).rejects.toMatchObject({ name: 'NotFoundException' });
    const { ciphertext } = await encrypt(new EdgeKmsKeyring({ client, generatorKeyId: ARN_A }), 'x', { encryptionContext: { a: '1' } });
    const failing: EdgeKmsKeyringClient = {
      ...client,
      decrypt: async () => {
        throw Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
      },
    };
    const error = (await decrypt(new EdgeKmsKeyring({ client: failing, keyIds: [ARN_A] }), ciphertext).catch((e: unknown) => e)) as NoDecryptableKeyError;
    expect(error).toBeInstanceOf(NoDecryptableKeyError);
    expect(error.causes).toEqual([expect.objectContaining({ name: 'AccessDeniedException' })]);
  });

  it('checks its options', () => {
    const { client } = fakeService();
    const bad: unknown[] = [
      {},
      { client },
      { client, generatorKeyId: '' },
      { client, keyIds: [''] },
      { client, keyIds: 'k' },
      { client, generatorKeyId: ARN_A, discovery: true },
      { client, keyIds: [ARN_A], discoveryFilter: { partition: 'aws', accountIds: ['111122223333'] } },
      { client, discovery: true, discoveryFilter: { partition: 'aws', accountIds: [] } },
      { client, generatorKeyId: ARN_A, grantTokens: [''] },
      { client, discovery: true, maxEncryptedDataKeys: 0 },
      { client, discovery: true, maxEncryptedDataKeys: 1.5 },
      { client, keyIds: [ARN_A], maxEncryptedDataKeys: '10' },
      { client: {}, generatorKeyId: ARN_A },
    ];
    for (const options of bad) {
      expect(() => new EdgeKmsKeyring(options as never), JSON.stringify(options)).toThrow(InvalidArgumentError);
    }
  });
});
