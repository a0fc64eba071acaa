/**
 * The SDK's EdgeKMS keyring and client against the real service: the Worker and its Durable
 * Objects run here in workerd, reached through `SELF.fetch` as a browser would reach them over
 * the network. Retry timing is covered with a fake fetch in test/sdk/client.test.ts.
 */
import { describe, expect, it } from 'vitest';
// Imported module by module rather than from sdk/index, so that this file's type check (under
// the Workers types of tsconfig.json) covers only the SDK modules it exercises.
import { KmsServiceError } from '../../sdk/client/index';
import { decrypt } from '../../sdk/decrypt';
import { encrypt } from '../../sdk/encrypt';
import { ContextMismatchError, NoDecryptableKeyError, TooManyEncryptedDataKeysError } from '../../sdk/errors';
import { EdgeKmsKeyring } from '../../sdk/keyrings/edgekms';
import { MultiKeyring } from '../../sdk/keyrings/multi';
import { RawAesKeyring } from '../../sdk/keyrings/raw-aes';
import { SUITE_AES256_HKDF_SHA512_COMMIT_KEY, SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384 } from '../../sdk/suites';
import { auditCount, indexOfBytes, mintToken, ok, sdkClient } from './helpers';

const ACCOUNT = '111122223333';
const SUITES = [SUITE_AES256_HKDF_SHA512_COMMIT_KEY, SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384] as const;
const text = new TextEncoder();
const fromUtf8 = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

async function newKey(body: Record<string, unknown> = {}): Promise<{ keyId: string; arn: string }> {
  const { KeyMetadata } = await ok('CreateKey', body);
  return { keyId: KeyMetadata.KeyId, arn: KeyMetadata.Arn };
}


describe('EdgeKmsKeyring against the service', () => {
  for (const suite of SUITES) {
    it(`round-trips suite 0x${suite.toString(16).padStart(4, '0')}, one GenerateDataKey per message, EDKs as the AWS KMS keyring stores them`, async () => {
      const { keyId, arn } = await newKey();
      const keyring = new EdgeKmsKeyring({ client: sdkClient(), generatorKeyId: keyId });
      const context = { tenant: 'acme', purpose: 'sdk-test' };
      const messages = [];
      for (const size of [0, 1, 5000]) {
        const plaintext = crypto.getRandomValues(new Uint8Array(size));
        const { ciphertext, header } = await encrypt(keyring, plaintext, { encryptionContext: context, suite, frameLength: 1024 });
        expect(header.encryptedDataKeys).toHaveLength(1);
        const [edk] = header.encryptedDataKeys;
        expect(edk!.providerId).toBe('aws-kms');
        expect(fromUtf8(edk!.providerInfo)).toBe(arn);
        messages.push({ plaintext, ciphertext });
      }
      // The service saw exactly one GenerateDataKey per message, and no Encrypt.
      expect(await auditCount(keyId, 'kms:GenerateDataKey')).toBe(3);
      expect(await auditCount(keyId, 'kms:Encrypt')).toBe(0);

      // A keyring configured with the key id (or the ARN) decrypts.
      for (const decryptor of [keyring, new EdgeKmsKeyring({ client: sdkClient(), keyIds: [arn] })]) {
        for (const { plaintext, ciphertext } of messages) {
          const result = await decrypt(decryptor, ciphertext, { expectedContext: context });
          expect(result.plaintext).toEqual(plaintext);
          expect(result.encryptionContext).toMatchObject(context);
        }
      }
      expect(await auditCount(keyId, 'kms:Decrypt')).toBe(6);
    });
  }

  it('wraps under two EdgeKMS keys; either alone decrypts', async () => {
    const a = await newKey();
    const b = await newKey();
    for (const keyring of [
      new EdgeKmsKeyring({ client: sdkClient(), generatorKeyId: a.keyId, keyIds: [b.keyId] }),
      new MultiKeyring({
        generator: new EdgeKmsKeyring({ client: sdkClient(), generatorKeyId: a.keyId }),
        children: [new EdgeKmsKeyring({ client: sdkClient(), keyIds: [b.arn] })],
      }),
    ]) {
      const { ciphertext, header } = await encrypt(keyring, 'for both keys', { encryptionContext: { app: 'multi' } });
      expect(header.encryptedDataKeys.map((edk) => fromUtf8(edk.providerInfo))).toEqual([a.arn, b.arn]);
      for (const only of [a, b]) {
        const result = await decrypt(new EdgeKmsKeyring({ client: sdkClient(), keyIds: [only.arn] }), ciphertext);
        expect(fromUtf8(result.plaintext)).toBe('for both keys');
      }
    }
    expect(await auditCount(a.keyId, 'kms:GenerateDataKey')).toBe(2);
    expect(await auditCount(b.keyId, 'kms:Encrypt')).toBe(2);
  });

  it('an EdgeKMS generator with a raw AES escrow key: either decrypts, the raw key offline', async () => {
    const { keyId, arn } = await newKey();
    const raw = new RawAesKeyring({ keyNamespace: 'escrow', keyName: 'k1', wrappingKey: crypto.getRandomValues(new Uint8Array(32)) });
    const edge = new EdgeKmsKeyring({ client: sdkClient(), generatorKeyId: keyId });
    for (const suite of SUITES) {
      const { ciphertext, header } = await encrypt(new MultiKeyring({ generator: edge, children: [raw] }), 'escrowed', { suite, encryptionContext: { case: '42' } });
      expect(header.encryptedDataKeys.map((edk) => edk.providerId)).toEqual(['aws-kms', 'escrow']);
      expect(fromUtf8(header.encryptedDataKeys[0]!.providerInfo)).toBe(arn);
      expect(fromUtf8((await decrypt(raw, ciphertext)).plaintext)).toBe('escrowed');
      expect(fromUtf8((await decrypt(edge, ciphertext)).plaintext)).toBe('escrowed');
      // The raw key as generator, EdgeKMS wrapping the raw key's data key with Encrypt.
      const reversed = await encrypt(new MultiKeyring({ generator: raw, children: [edge] }), 'escrowed', { suite });
      expect(fromUtf8((await decrypt(edge, reversed.ciphertext)).plaintext)).toBe('escrowed');
    }
  });

  it('refuses a wrong encryption context: the caller’s expectation, and the service for an altered header', async () => {
    const { keyId } = await newKey();
    const keyring = new EdgeKmsKeyring({ client: sdkClient(), generatorKeyId: keyId });
    const { ciphertext } = await encrypt(keyring, 'bound', { encryptionContext: { tenant: 'acme' } });
    await expect(decrypt(keyring, ciphertext, { expectedContext: { tenant: 'other' } })).rejects.toBeInstanceOf(ContextMismatchError);

    // "acme" → "acmf" in the header: the service refuses to unwrap under a context it was not bound to.
    const altered = Uint8Array.from(ciphertext);
    const at = indexOfBytes(altered, text.encode('acme'));
    expect(at).toBeGreaterThan(0);
    altered[at + 3] = 'f'.charCodeAt(0);
    const error = await decrypt(keyring, altered).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoDecryptableKeyError);
    const [cause] = (error as NoDecryptableKeyError).causes;
    expect(cause).toBeInstanceOf(KmsServiceError);
    expect(cause).toMatchObject({ name: 'InvalidCiphertextException', status: 400, operation: 'Decrypt' });
  });

  it('tries only EDKs of configured keys: another key’s message costs no call', async () => {
    const mine = await newKey();
    const theirs = await newKey();
    const { ciphertext } = await encrypt(new EdgeKmsKeyring({ client: sdkClient(), generatorKeyId: theirs.keyId }), 'not for me');
    const before = await auditCount(theirs.keyId, 'kms:Decrypt');
    await expect(decrypt(new EdgeKmsKeyring({ client: sdkClient(), keyIds: [mine.arn] }), ciphertext)).rejects.toBeInstanceOf(NoDecryptableKeyError);
    expect(await auditCount(theirs.keyId, 'kms:Decrypt')).toBe(before);
    // Discovery, explicitly enabled, tries any key ARN (here, of the right account only).
    const discovery = new EdgeKmsKeyring({ client: sdkClient(), discovery: true, discoveryFilter: { partition: 'aws', accountIds: [ACCOUNT] } });
    expect(fromUtf8((await decrypt(discovery, ciphertext)).plaintext)).toBe('not for me');
    const elsewhere = new EdgeKmsKeyring({ client: sdkClient(), discovery: true, discoveryFilter: { partition: 'aws', accountIds: ['999999999999'] } });
    await expect(decrypt(elsewhere, ciphertext)).rejects.toBeInstanceOf(NoDecryptableKeyError);
  });

  it('refuses a message with more EDKs than the keyring allows (default 10) before any Decrypt reaches the service', async () => {
    const { keyId, arn } = await newKey();
    // Eleven EDKs, all of one key of the account: a discovery keyring would accept every one.
    const eleven = new EdgeKmsKeyring({ client: sdkClient(), generatorKeyId: keyId, keyIds: Array.from({ length: 10 }, () => arn) });
    const { ciphertext, header } = await encrypt(eleven, 'many keys');
    expect(header.encryptedDataKeys).toHaveLength(11);
    const filter = { partition: 'aws', accountIds: [ACCOUNT] };
    for (const keyring of [
      new EdgeKmsKeyring({ client: sdkClient(), discovery: true, discoveryFilter: filter }),
      new EdgeKmsKeyring({ client: sdkClient(), keyIds: [arn] }),
    ]) {
      await expect(decrypt(keyring, ciphertext)).rejects.toBeInstanceOf(TooManyEncryptedDataKeysError);
    }
    expect(await auditCount(keyId, 'kms:Decrypt')).toBe(0);
    const raised = new EdgeKmsKeyring({ client: sdkClient(), discovery: true, discoveryFilter: filter, maxEncryptedDataKeys: 11 });
    expect(fromUtf8((await decrypt(raised, ciphertext)).plaintext)).toBe('many keys');
    expect(await auditCount(keyId, 'kms:Decrypt')).toBe(1);
  });

  it('a disabled key surfaces DisabledException as a typed error with the request id', async () => {
    const { keyId, arn } = await newKey();
    const keyring = new EdgeKmsKeyring({ client: sdkClient(), generatorKeyId: keyId });
    const { ciphertext } = await encrypt(keyring, 'before');
    await ok('DisableKey', { KeyId: keyId });

    const error = await encrypt(keyring, 'after').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsServiceError);
    expect(error).toMatchObject({ name: 'DisabledException', status: 409, operation: 'GenerateDataKey', attempts: 1 });
    const requestId = (error as KmsServiceError).requestId;
    expect(requestId).toMatch(/\S/);
    // The request id is the one the audit trail recorded.
    const { Records } = await ok('ListAuditRecords', { KeyId: keyId, Operation: 'kms:GenerateDataKey' });
    expect(Records).toContainEqual(expect.objectContaining({ RequestId: requestId, ErrorName: 'DisabledException' }));

    const failure = await decrypt(new EdgeKmsKeyring({ client: sdkClient(), keyIds: [arn] }), ciphertext).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(NoDecryptableKeyError);
    expect((failure as NoDecryptableKeyError).causes[0]).toMatchObject({ name: 'DisabledException', status: 409 });
  });

  it('a JWT user: allowed for their own context by the key policy, AccessDeniedException otherwise', async () => {
    const { keyId, arn } = await newKey({
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Sid: 'Admins', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
          {
            Sid: 'Users use their own data keys',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/app-user` },
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
            Resource: '*',
            Condition: { StringEquals: { 'kms:EncryptionContext:user': '${jwt:sub}' } },
          },
        ],
      }),
    });
    let minted = 0;
    const alice = sdkClient({
      getToken: async () => {
        minted++;
        return mintToken({ sub: 'alice', groups: ['app-user'] });
      },
    });
    const keyring = new EdgeKmsKeyring({ client: alice, generatorKeyId: arn });
    const { ciphertext } = await encrypt(keyring, 'alice’s file', { encryptionContext: { user: 'alice' } });
    expect(fromUtf8((await decrypt(keyring, ciphertext)).plaintext)).toBe('alice’s file');
    expect(minted).toBe(2);

    const denied = await encrypt(keyring, 'as bob', { encryptionContext: { user: 'bob' } }).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(KmsServiceError);
    expect(denied).toMatchObject({ name: 'AccessDeniedException', status: 403, attempts: 1 });
    expect((denied as KmsServiceError).requestId).toMatch(/\S/);

    // Bob may not unwrap Alice's data key.
    const bob = sdkClient({ getToken: () => mintToken({ sub: 'bob', groups: ['app-user'] }) });
    const refused = await decrypt(new EdgeKmsKeyring({ client: bob, keyIds: [keyId] }), ciphertext).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(NoDecryptableKeyError);
    expect((refused as NoDecryptableKeyError).causes[0]).toMatchObject({ name: 'AccessDeniedException', status: 403 });
  });

  it('a real 429 surfaces as a typed ThrottlingException when retries are off, and is retried after Retry-After when on', async () => {
    // This principal's bucket is tiny (vitest.config.mts): rate 0.2/s, burst 2. Read-only calls,
    // so nothing here changes the state of its account.
    const throttled = sdkClient({
      retries: 0,
      getToken: () => mintToken({ sub: 'throttled', account: '333344445555', groups: ['kms-admin'] }),
    });
    let error: unknown;
    for (let i = 0; i < 4 && error === undefined; i++) {
      error = await throttled.send('ListKeys', {}).then(
        () => undefined,
        (e: unknown) => e,
      );
    }
    expect(error).toBeInstanceOf(KmsServiceError);
    expect(error).toMatchObject({ name: 'ThrottlingException', status: 429, attempts: 1, operation: 'ListKeys' });
    expect((error as KmsServiceError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect((error as KmsServiceError).requestId).toMatch(/\S/);

    // With a retry allowed, the client waits as long as Retry-After says (about 5 s at 0.2/s),
    // and the retry then succeeds.
    const patient = sdkClient({
      retries: 1,
      getToken: () => mintToken({ sub: 'throttled', account: '333344445555', groups: ['kms-admin'] }),
    });
    const started = Date.now();
    const listed = await patient.send('ListKeys', {});
    expect(listed.$metadata.attempts).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual((error as KmsServiceError).retryAfterSeconds! * 1000 - 50);
  });

  it('describeKey and send reach the service', async () => {
    const { keyId, arn } = await newKey({ Description: 'sdk client' });
    const described = await sdkClient().describeKey({ KeyId: keyId });
    expect(described.KeyMetadata).toMatchObject({ KeyId: keyId, Arn: arn, Description: 'sdk client', KeyState: 'Enabled' });
    expect(described.$metadata).toMatchObject({ status: 200, attempts: 1 });
    const random = await sdkClient().send<{ Plaintext: Uint8Array }>('GenerateRandom', { NumberOfBytes: 24 });
    expect(random.Plaintext).toBeInstanceOf(Uint8Array);
    expect(random.Plaintext.byteLength).toBe(24);
    await expect(sdkClient().send('NoSuchOperation', {})).rejects.toMatchObject({ name: 'UnknownOperationException', status: 404 });
  });
});
