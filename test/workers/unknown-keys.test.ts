import { env, listDurableObjectIds } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { makeGrantToken } from '../../worker/key-object/grants';
import { b64, createKey, mintToken, ok, refused, unb64, utf8 } from './helpers';

const ACCOUNT = '111122223333';
const OTHER_ACCOUNT = '444455556666';
const keyArn = (account: string, keyId: string) => `arn:aws:kms:us-east-1:${account}:key/${keyId}`;

/** A real ciphertext blob with its key id bytes (3..38) replaced: it names a key that was never created. */
function blobNaming(blob: string, keyId: string): string {
  const bytes = unb64(blob).slice();
  bytes.set(utf8(keyId), 3);
  return b64(bytes);
}

/** The object ids of every KeyObject that has storage: miniflare lists the namespace's .sqlite files. */
async function storedKeyObjects(): Promise<Set<string>> {
  return new Set((await listDurableObjectIds(env.KEY_OBJECT)).map((id) => id.toString()));
}

const objectIdOf = (keyId: string) => env.KEY_OBJECT.idFromName(keyId).toString();

describe('requests naming a key that was never created', () => {
  it('are refused with NotFoundException and leave no Durable Object storage behind', async () => {
    const realKey = await createKey();
    const realBlob = (await ok('Encrypt', { KeyId: realKey, Plaintext: b64(utf8('x')) })).CiphertextBlob as string;
    const message = b64(utf8('message'));

    // Every way a request can name a key: KeyId (bare and as an ARN), a ciphertext blob,
    // a grant token, an alias target and a ReEncrypt destination.
    const probes: Array<[string, (id: string) => Record<string, unknown>]> = [
      ['DescribeKey', (id) => ({ KeyId: id })],
      ['DescribeKey', (id) => ({ KeyId: keyArn(ACCOUNT, id) })],
      ['Encrypt', (id) => ({ KeyId: id, Plaintext: message })],
      ['Decrypt', (id) => ({ CiphertextBlob: blobNaming(realBlob, id) })],
      ['ReEncrypt', (id) => ({ CiphertextBlob: blobNaming(realBlob, id), DestinationKeyId: realKey })],
      ['ReEncrypt', (id) => ({ CiphertextBlob: realBlob, DestinationKeyId: id })],
      ['GenerateDataKey', (id) => ({ KeyId: id, KeySpec: 'AES_256' })],
      ['GenerateMac', (id) => ({ KeyId: id, Message: message, MacAlgorithm: 'HMAC_SHA_256' })],
      ['Sign', (id) => ({ KeyId: id, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' })],
      ['GetPublicKey', (id) => ({ KeyId: id })],
      ['GetKeyPolicy', (id) => ({ KeyId: id, PolicyName: 'default' })],
      ['PutKeyPolicy', (id) => ({ KeyId: id, PolicyName: 'default', Policy: '{"Version":"2012-10-17","Statement":[]}' })],
      ['DisableKey', (id) => ({ KeyId: id })],
      ['ScheduleKeyDeletion', (id) => ({ KeyId: id, PendingWindowInDays: 7 })],
      ['TagResource', (id) => ({ KeyId: id, Tags: [{ TagKey: 'a', TagValue: 'b' }] })],
      ['ListResourceTags', (id) => ({ KeyId: id })],
      ['GetKeyRotationStatus', (id) => ({ KeyId: id })],
      ['ListKeyRotations', (id) => ({ KeyId: id })],
      ['CreateGrant', (id) => ({ KeyId: id, GranteePrincipal: `arn:aws:iam::${ACCOUNT}:role/app`, Operations: ['Decrypt'] })],
      ['ListGrants', (id) => ({ KeyId: id })],
      ['RevokeGrant', (id) => ({ KeyId: id, GrantId: 'a'.repeat(32) })],
      ['RetireGrant', (id) => ({ GrantToken: makeGrantToken(id, 'a'.repeat(32)) })],
      ['CreateAlias', (id) => ({ AliasName: `alias/unknown-${crypto.randomUUID()}`, TargetKeyId: id })],
      ['ListAuditRecords', (id) => ({ KeyId: id })],
      ['VerifyAuditChain', (id) => ({ KeyId: id })],
      ['GetAuditInclusionProof', (id) => ({ KeyId: id, Sequence: 1 })],
    ];

    const unknown: string[] = [];
    for (const [operation, body] of probes) {
      const keyId = crypto.randomUUID();
      unknown.push(keyId);
      await refused(operation, body(keyId), 'NotFoundException');
    }
    // A key id the caller names in another account's ARN, and one a forged grant token names that is not even a UUID.
    const elsewhere = crypto.randomUUID();
    const outsider = await mintToken({ sub: 'prober', account: OTHER_ACCOUNT, groups: ['kms-admin'] });
    await refused('Encrypt', { KeyId: keyArn(ACCOUNT, elsewhere), Plaintext: message }, 'NotFoundException', { token: outsider });
    await refused('RetireGrant', { GrantToken: makeGrantToken('not-a-key-id', 'a'.repeat(32)) }, 'NotFoundException');
    unknown.push(elsewhere, 'not-a-key-id');

    const stored = await storedKeyObjects();
    // The observation works: the key that was created has its storage.
    expect(stored.has(objectIdOf(realKey))).toBe(true);
    expect(unknown.filter((keyId) => stored.has(objectIdOf(keyId)))).toEqual([]);

    // The real key still works after all that.
    expect((await ok('Decrypt', { CiphertextBlob: realBlob })).KeyId).toBe(keyArn(ACCOUNT, realKey));
  });
});
