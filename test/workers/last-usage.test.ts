import { evictDurableObject, runInDurableObject, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { LAST_USAGE_WRITE_INTERVAL_MS } from '../../worker/key-object/last-usage';
import { ADMIN_TOKEN, asUser, b64, createKey, keyStub, ok, refused, utf8 } from './helpers';

/** A call that returns its request id too (x-amzn-requestid), as GetKeyLastUsage's KmsRequestId names it. */
async function call(operation: string, body: unknown) {
  const response = await SELF.fetch(`https://kms.test/v1/${operation}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, requestId: response.headers.get('x-amzn-requestid'), body: (await response.json()) as Record<string, any> };
}

describe('GetKeyLastUsage', () => {
  it('reports nothing for a new key, tracking since its creation; then the last successful cryptographic operation', async () => {
    const keyId = await createKey();
    const fresh = await ok('GetKeyLastUsage', { KeyId: keyId });
    expect(fresh).toEqual({ KeyId: keyId, KeyLastUsage: {}, TrackingStartDate: expect.any(Number), KeyCreationDate: expect.any(Number) });
    expect(fresh.TrackingStartDate).toBe(fresh.KeyCreationDate);

    // Not cryptographic, or not successful: not a use.
    await ok('DescribeKey', { KeyId: keyId });
    await refused('Decrypt', { CiphertextBlob: b64(new Uint8Array(64)) }, 'InvalidCiphertextException');
    expect((await ok('GetKeyLastUsage', { KeyId: keyId })).KeyLastUsage).toEqual({});

    const before = Date.now();
    const encrypted = await call('Encrypt', { KeyId: keyId, Plaintext: b64(utf8('used')) });
    expect(encrypted.status).toBe(200);
    const used = await ok('GetKeyLastUsage', { KeyId: keyId });
    expect(used.KeyLastUsage).toEqual({ Operation: 'Encrypt', Timestamp: expect.any(Number), KmsRequestId: encrypted.requestId });
    expect(used.KeyLastUsage.Timestamp * 1000).toBeGreaterThanOrEqual(before - 1);

    const decrypted = await call('Decrypt', { CiphertextBlob: encrypted.body.CiphertextBlob });
    expect((await ok('GetKeyLastUsage', { KeyId: keyId })).KeyLastUsage).toMatchObject({ Operation: 'Decrypt', KmsRequestId: decrypted.requestId });
    await ok('GenerateDataKeyPairWithoutPlaintext', { KeyId: keyId, KeyPairSpec: 'ECC_NIST_P256' });
    expect((await ok('GetKeyLastUsage', { KeyId: keyId })).KeyLastUsage.Operation).toBe('GenerateDataKeyPairWithoutPlaintext');
  });

  it('counts ReEncrypt on both keys, Verify only when valid, and DeriveSharedSecret; not GetPublicKey', async () => {
    const source = await createKey();
    const destination = await createKey();
    const { CiphertextBlob } = await ok('Encrypt', { KeyId: source, Plaintext: b64(utf8('move me')) });
    await ok('ReEncrypt', { CiphertextBlob, DestinationKeyId: destination });
    for (const keyId of [source, destination]) expect((await ok('GetKeyLastUsage', { KeyId: keyId })).KeyLastUsage.Operation).toBe('ReEncrypt');

    const signer = await createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    const { Signature } = await ok('Sign', { KeyId: signer, Message: 'aGk=', SigningAlgorithm: 'ECDSA_SHA_256' });
    expect((await ok('GetKeyLastUsage', { KeyId: signer })).KeyLastUsage.Operation).toBe('Sign');
    await refused('Verify', { KeyId: signer, Message: 'aGE=', Signature, SigningAlgorithm: 'ECDSA_SHA_256' }, 'KMSInvalidSignatureException');
    expect((await ok('GetKeyLastUsage', { KeyId: signer })).KeyLastUsage.Operation).toBe('Sign');
    await ok('Verify', { KeyId: signer, Message: 'aGk=', Signature, SigningAlgorithm: 'ECDSA_SHA_256' });
    expect((await ok('GetKeyLastUsage', { KeyId: signer })).KeyLastUsage.Operation).toBe('Verify');
    // GetPublicKey is not a tracked operation.
    await ok('GetPublicKey', { KeyId: signer });
    expect((await ok('GetKeyLastUsage', { KeyId: signer })).KeyLastUsage.Operation).toBe('Verify');

    const agreement = await createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' });
    const { PublicKey } = await ok('GetPublicKey', { KeyId: agreement });
    await ok('DeriveSharedSecret', { KeyId: agreement, KeyAgreementAlgorithm: 'ECDH', PublicKey });
    expect((await ok('GetKeyLastUsage', { KeyId: agreement })).KeyLastUsage.Operation).toBe('DeriveSharedSecret');
  });

  it('writes a use to storage at most once per interval: a restart keeps the stored one, never a later one', async () => {
    const keyId = await createKey();
    await ok('Encrypt', { KeyId: keyId, Plaintext: 'aGk=' });
    // Within the interval: noted in memory only.
    const { CiphertextBlob } = await ok('Encrypt', { KeyId: keyId, Plaintext: 'aGk=' });
    await ok('Decrypt', { CiphertextBlob });
    expect((await ok('GetKeyLastUsage', { KeyId: keyId })).KeyLastUsage.Operation).toBe('Decrypt');
    await evictDurableObject(keyStub(keyId));
    const restarted = await ok('GetKeyLastUsage', { KeyId: keyId });
    expect(restarted.KeyLastUsage.Operation).toBe('Encrypt');

    // Once the stored use is an interval old (time passes: the stored time is moved back), the next use is written.
    await runInDurableObject(keyStub(keyId), async (_instance, state) => {
      const stored = await state.storage.get<Record<string, any>>('last-usage');
      stored!.last.time -= LAST_USAGE_WRITE_INTERVAL_MS;
      await state.storage.put('last-usage', stored);
    });
    await evictDurableObject(keyStub(keyId));
    await ok('Decrypt', { CiphertextBlob });
    await evictDurableObject(keyStub(keyId));
    expect((await ok('GetKeyLastUsage', { KeyId: keyId })).KeyLastUsage.Operation).toBe('Decrypt');
  });

  it('takes a key id or ARN, not an alias; needs kms:GetKeyLastUsage; answers for a disabled key', async () => {
    const keyId = await createKey();
    await ok('CreateAlias', { AliasName: 'alias/last-usage', TargetKeyId: keyId });
    await refused('GetKeyLastUsage', { KeyId: 'alias/last-usage' }, 'NotFoundException');
    const { KeyMetadata } = await ok('DescribeKey', { KeyId: keyId });
    expect((await ok('GetKeyLastUsage', { KeyId: KeyMetadata.Arn })).KeyId).toBe(keyId);
    await ok('DisableKey', { KeyId: keyId });
    await ok('GetKeyLastUsage', { KeyId: keyId });
    await refused('GetKeyLastUsage', {}, 'ValidationException');
    // The default key policy names only the account's administrators.
    expect((await asUser('alice', 'GetKeyLastUsage', { KeyId: keyId })).body.__type).toBe('AccessDeniedException');
  });
});
