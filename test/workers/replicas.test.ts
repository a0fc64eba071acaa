import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { Caller } from '../../worker/auth/caller';
import type { Result } from '../../worker/result';
import { parseCiphertextBlob } from '../../worker/wire/ciphertext-blob';
import { encodeMarker } from '../../worker/wire/pagination';
import { createKey, kms, ok, refused, utf8 } from './helpers';

/**
 * Hot keys across several objects (worker/key-object/replicas.ts,
 * docs/replicas.md). Each replica is called directly here, as the Worker
 * would call it, so that what every one of them would serve is seen, not
 * only the one the Worker's random pick reached.
 */
const ACCOUNT = '111122223333';
const CONTEXT = { purpose: 'replicas test' };
const TAG = 'edgekms:Replicas';

const replica = (keyId: string, index: number) => env.KEY_OBJECT.get(env.KEY_OBJECT.idFromName(index === 0 ? keyId : `${keyId}#${index}`));

function callerAs(arn: string, isAccountAdmin: boolean): Caller {
  return {
    principal: { account: ACCOUNT, arn, kind: isAccountAdmin ? 'admin' : 'jwt', claims: {}, roles: [], isAccountAdmin },
    request: { requestId: crypto.randomUUID(), via: 'native' },
    region: 'us-east-1',
  };
}
const admin = () => callerAs(`arn:aws:iam::${ACCOUNT}:root`, true);
const bobArn = `arn:aws:sts::${ACCOUNT}:federated-user/bob`;
const bob = () => callerAs(bobArn, false);

async function keyWithReplicas(count: number): Promise<string> {
  return createKey({ Tags: [{ TagKey: TAG, TagValue: String(count) }] });
}

/** Encrypt on one replica, directly: the refusal's name, or undefined when it served. */
async function encryptOn(keyId: string, index: number, caller: Caller = admin()): Promise<Result<unknown>> {
  return replica(keyId, index).encrypt(caller, utf8('secret'), CONTEXT, 'SYMMETRIC_DEFAULT');
}

async function refusalsOf(keyId: string, count: number, caller: () => Caller = admin): Promise<(string | undefined)[]> {
  const results = await Promise.all(Array.from({ length: count }, (_, index) => encryptOn(keyId, index, caller())));
  return results.map((result) => result.error?.name);
}

describe('replicas', () => {
  it('a key created with edgekms:Replicas is served by each replica, and what one encrypts another decrypts', async () => {
    const keyId = await keyWithReplicas(4);
    const blobs = [];
    for (let index = 0; index < 4; index++) {
      const result = await replica(keyId, index).generateDataKey(admin(), 32, CONTEXT, 'kms:GenerateDataKey');
      expect(result.error, `replica ${index}`).toBeUndefined();
      expect(result.replicas).toBe(4);
      blobs.push(result.value!);
    }
    for (let index = 0; index < 4; index++) {
      const { ciphertext, plaintext } = blobs[index]!;
      const other = replica(keyId, (index + 1) % 4);
      const opened = await other.decrypt(admin(), { kind: 'blob', blob: parseCiphertextBlob(ciphertext) }, CONTEXT, 'SYMMETRIC_DEFAULT');
      expect(opened.error).toBeUndefined();
      expect(opened.value!.plaintext).toEqual(plaintext);
    }
  });

  it('a disable acknowledged through replica 0 is refused on every replica at once, and an enable serves on all again', async () => {
    const keyId = await keyWithReplicas(4);
    expect(await refusalsOf(keyId, 4)).toEqual([undefined, undefined, undefined, undefined]);
    await ok('DisableKey', { KeyId: keyId });
    expect(await refusalsOf(keyId, 4)).toEqual(Array(4).fill('DisabledException'));
    await ok('EnableKey', { KeyId: keyId });
    expect(await refusalsOf(keyId, 4)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('a key policy change acknowledged through replica 0 is in force on every replica at once', async () => {
    const keyId = await keyWithReplicas(3);
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
        { Effect: 'Deny', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:Encrypt', Resource: '*' },
      ],
    };
    await ok('PutKeyPolicy', { KeyId: keyId, PolicyName: 'default', Policy: JSON.stringify(policy) });
    expect(await refusalsOf(keyId, 3)).toEqual(Array(3).fill('AccessDeniedException'));
  });

  it('a grant revoked through replica 0 allows nothing on any replica once RevokeGrant returns', async () => {
    const keyId = await keyWithReplicas(3);
    expect(await refusalsOf(keyId, 3, bob)).toEqual(Array(3).fill('AccessDeniedException'));
    const { GrantId } = await ok('CreateGrant', { KeyId: keyId, GranteePrincipal: bobArn, Operations: ['Encrypt'] });
    expect(await refusalsOf(keyId, 3, bob)).toEqual([undefined, undefined, undefined]);
    await ok('RevokeGrant', { KeyId: keyId, GrantId });
    expect(await refusalsOf(keyId, 3, bob)).toEqual(Array(3).fill('AccessDeniedException'));
  });

  it('a replica refuses changes: they go to replica 0', async () => {
    const keyId = await keyWithReplicas(2);
    const result = await replica(keyId, 1).disable(admin());
    expect(result.error?.name).toBe('KMSInternalException');
    expect(await refusalsOf(keyId, 2)).toEqual([undefined, undefined]);
  });

  it('refuses a replica count outside 1..16 with TagException', async () => {
    for (const value of ['0', '17', 'two', '1.5', ' 2']) {
      await refused('CreateKey', { Tags: [{ TagKey: TAG, TagValue: value }] }, 'TagException');
    }
    const keyId = await createKey();
    await refused('TagResource', { KeyId: keyId, Tags: [{ TagKey: TAG, TagValue: '99' }] }, 'TagException');
  });

  it('changing the replica count up and down keeps the key working, and a retired replica serves nothing', async () => {
    const keyId = await createKey();
    const before = await ok('Encrypt', { KeyId: keyId, Plaintext: utf8('kept').toBase64(), EncryptionContext: CONTEXT });
    await ok('TagResource', { KeyId: keyId, Tags: [{ TagKey: TAG, TagValue: '4' }] });
    expect(await refusalsOf(keyId, 4)).toEqual([undefined, undefined, undefined, undefined]);
    const onThree = await encryptOn(keyId, 3);
    await ok('TagResource', { KeyId: keyId, Tags: [{ TagKey: TAG, TagValue: '2' }] });
    const shrunk = await Promise.all([0, 1, 2, 3].map((index) => encryptOn(keyId, index)));
    expect(shrunk.map((result) => result.error?.name)).toEqual([undefined, undefined, 'KMSInternalException', 'KMSInternalException']);
    expect(shrunk.map((result) => result.replicaBehind ?? false)).toEqual([false, false, true, true]);
    // Through the Worker every request is served, whichever replica its isolate believes in.
    for (let round = 0; round < 8; round++) {
      const opened = await ok('Decrypt', { CiphertextBlob: before.CiphertextBlob, EncryptionContext: CONTEXT });
      expect(opened.Plaintext).toBe(utf8('kept').toBase64());
      await ok('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: CONTEXT });
    }
    await ok('UntagResource', { KeyId: keyId, TagKeys: [TAG] });
    expect((await refusalsOf(keyId, 2))[1]).toBe('KMSInternalException');
    await ok('TagResource', { KeyId: keyId, Tags: [{ TagKey: TAG, TagValue: '4' }] });
    expect(await refusalsOf(keyId, 4)).toEqual([undefined, undefined, undefined, undefined]);
    const blob = parseCiphertextBlob((onThree.value as { ciphertext: Uint8Array }).ciphertext);
    const opened = await replica(keyId, 1).decrypt(admin(), { kind: 'blob', blob }, CONTEXT, 'SYMMETRIC_DEFAULT');
    expect(opened.error).toBeUndefined();
  });

  it('a replica that cannot take the fence stops the change before it is made; the others refuse until replica 0 pushes again', async () => {
    const keyId = await keyWithReplicas(3);
    // Replica 2 made to look like a key's own object: it refuses replica 0's fence and push.
    const saved = await runInDurableObject(replica(keyId, 2), async (_instance, state) => {
      const stored = await state.storage.get<Record<string, unknown>>('replication');
      await state.storage.put('replication', { ...stored, index: 0 });
      return stored;
    });
    await runInDurableObject(replica(keyId, 2), async (instance) => (instance as unknown as { replication: { load(): Promise<void> } }).replication.load());
    const refusedChange = await kms('DisableKey', { KeyId: keyId });
    expect(refusedChange.status).toBe(500);
    expect(refusedChange.body.__type).toBe('KMSInternalException');
    expect((await ok('DescribeKey', { KeyId: keyId })).KeyMetadata.KeyState).toBe('Enabled');
    const fenced = await encryptOn(keyId, 1);
    expect(fenced.replicaBehind).toBe(true);
    // Through the Worker, requests are served by replica 0 meanwhile.
    await ok('Encrypt', { KeyId: keyId, Plaintext: utf8('x').toBase64(), EncryptionContext: CONTEXT });
    await runInDurableObject(replica(keyId, 2), async (instance, state) => {
      await state.storage.put('replication', saved);
      await (instance as unknown as { replication: { load(): Promise<void> } }).replication.load();
    });
    expect(await runDurableObjectAlarm(replica(keyId, 0))).toBe(true);
    expect(await refusalsOf(keyId, 3)).toEqual([undefined, undefined, undefined]);
  });

  it('replica 0 restored to an older epoch (a point-in-time recovery) still fences and updates every replica', async () => {
    const keyId = await keyWithReplicas(3);
    for (const description of ['one', 'two', 'three']) await ok('UpdateKeyDescription', { KeyId: keyId, Description: description });
    await runInDurableObject(replica(keyId, 0), async (instance, state) => {
      const stored = await state.storage.get<Record<string, unknown>>('replication');
      await state.storage.put('replication', { ...stored, epoch: 1 });
      await (instance as unknown as { replication: { load(): Promise<void> } }).replication.load();
    });
    await ok('DisableKey', { KeyId: keyId });
    expect(await refusalsOf(keyId, 3)).toEqual(Array(3).fill('DisabledException'));
    await ok('EnableKey', { KeyId: keyId });
    expect(await refusalsOf(keyId, 3)).toEqual([undefined, undefined, undefined]);
  });

  describe('audit', () => {
    /** Every page of a key's verification, followed to the end. */
    async function verifyAll(keyId: string): Promise<Record<string, any>> {
      const chains: Record<string, any>[] = [];
      let marker: string | undefined;
      for (;;) {
        const page = await ok('VerifyAuditChain', { KeyId: keyId, ...(marker && { Marker: marker }) });
        chains.push(...page.Chains);
        if (!page.Truncated) return { ...page, Chains: chains };
        marker = page.NextMarker;
      }
    }

    /** A key of three replicas, each of which served (and recorded) two requests. */
    async function usedKey(): Promise<string> {
      const keyId = await keyWithReplicas(3);
      for (const index of [2, 0, 1, 1, 2, 0]) expect((await encryptOn(keyId, index)).error).toBeUndefined();
      return keyId;
    }

    it('VerifyAuditChain verifies the chain of every replica', async () => {
      const keyId = await usedKey();
      const result = await verifyAll(keyId);
      expect(result.Valid).toBe(true);
      expect(result.Chains.map((chain: Record<string, any>) => chain.Source)).toEqual([keyId, `${keyId}#1`, `${keyId}#2`]);
      expect(result.Chains.every((chain: Record<string, any>) => chain.Valid && chain.Records >= 2)).toBe(true);
      expect(result.ChainsVerified).toBe(3);
    });

    for (const tampered of [0, 1, 2]) {
      it(`a record edited in replica ${tampered}'s chain is named: the chain and its sequence`, async () => {
        const keyId = await usedKey();
        await runInDurableObject(replica(keyId, tampered), (_instance, state) => void state.storage.sql.exec("UPDATE audit SET outcome = 'Denied' WHERE seq = 2"));
        const result = await verifyAll(keyId);
        expect(result.Valid).toBe(false);
        const source = tampered === 0 ? keyId : `${keyId}#${tampered}`;
        expect(result.FirstInvalidRecord).toMatchObject({ Source: source, Sequence: 2 });
        expect(result.Chains.filter((chain: Record<string, any>) => !chain.Valid).map((chain: Record<string, any>) => chain.Source)).toEqual([source]);
      });
    }

    it('ListAuditRecords merges the replicas\' chains by time, each record once, in pages', async () => {
      const keyId = await usedKey();
      const whole = await ok('ListAuditRecords', { KeyId: keyId, Limit: 1000 });
      expect(whole.Truncated).toBe(false);
      const records = whole.Records as Record<string, any>[];
      expect(new Set(records.map((record) => record.Source))).toEqual(new Set([keyId, `${keyId}#1`, `${keyId}#2`]));
      const encrypts = records.filter((record) => record.Operation === 'kms:Encrypt');
      expect(encrypts).toHaveLength(6);
      for (let i = 1; i < records.length; i++) expect(records[i]!.Time).toBeGreaterThanOrEqual(records[i - 1]!.Time);
      const paged: Record<string, any>[] = [];
      let marker: string | undefined;
      for (let pages = 0; pages < 50; pages++) {
        const page = await ok('ListAuditRecords', { KeyId: keyId, Limit: 2, ...(marker && { Marker: marker }) });
        paged.push(...page.Records);
        if (!page.Truncated) break;
        marker = page.NextMarker;
      }
      const identity = (record: Record<string, any>) => `${record.Source}/${record.Sequence}`;
      // The paged walk also sees the records of its own listing requests on replica 0.
      const pagedIds = paged.map(identity);
      expect(new Set(pagedIds).size).toBe(pagedIds.length);
      expect(pagedIds).toEqual(expect.arrayContaining(records.map(identity)));
      const byOperation = await ok('ListAuditRecords', { KeyId: keyId, Operation: 'kms:Encrypt' });
      expect(byOperation.Records.map(identity)).toEqual(encrypts.map(identity));
    });

    it('refuses a listing marker naming more chains than the key has (reading them would create objects)', async () => {
      const keyId = await keyWithReplicas(2);
      const forged = encodeMarker(JSON.stringify({ s: 0, r: Array(15).fill(0) }));
      await refused('ListAuditRecords', { KeyId: keyId, Marker: forged }, 'InvalidMarkerException');
      const fitting = encodeMarker(JSON.stringify({ s: 0, r: [0] }));
      expect((await ok('ListAuditRecords', { KeyId: keyId, Marker: fitting })).Records.length).toBeGreaterThan(0);
    });

    it('a retired replica\'s chain is still listed and verified', async () => {
      const keyId = await usedKey();
      await ok('TagResource', { KeyId: keyId, Tags: [{ TagKey: TAG, TagValue: '1' }] });
      const result = await verifyAll(keyId);
      expect(result.Valid).toBe(true);
      expect(result.Chains.map((chain: Record<string, any>) => chain.Source)).toEqual([keyId, `${keyId}#1`, `${keyId}#2`]);
      const listed = await ok('ListAuditRecords', { KeyId: keyId, Operation: 'kms:Encrypt' });
      expect(listed.Records).toHaveLength(6);
    });
  });
});
