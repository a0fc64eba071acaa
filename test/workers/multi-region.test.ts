import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import { COMMERCIAL_REGIONS } from '../../worker/regions';
import { locationHintOf, placementOf } from '../../worker/placement';
import { keyObject } from '../../worker/stubs';
import type { Bindings } from '../../worker/env';
import { b64, unb64, utf8 } from './helpers';
import { inRegion, okIn } from './region-requests';

const admin = inject('accessKeys').admin;
const ACCOUNT = admin.account;
const A = 'us-east-1';
const B = 'eu-west-1';
const C = 'ap-southeast-2';

async function refusedIn(region: string, operation: string, body: unknown, errorName: string): Promise<string> {
  const answer = await inRegion(region, operation, body);
  expect(answer.body.__type, `${operation} in ${region}: ${JSON.stringify(answer.body)}`).toBe(errorName);
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
  return answer.body.message as string;
}

const arnIn = (region: string, keyId: string) => `arn:aws:kms:${region}:${ACCOUNT}:key/${keyId}`;
const describeIn = async (region: string, keyId: string) => (await okIn(region, 'DescribeKey', { KeyId: keyId })).KeyMetadata as Record<string, any>;

async function primaryIn(region: string, body: Record<string, unknown> = {}): Promise<string> {
  const { KeyMetadata } = await okIn(region, 'CreateKey', { MultiRegion: true, ...body });
  return KeyMetadata.KeyId as string;
}

/** Edits a key's stored record in one region, then evicts its object so that it reloads (the passage of time). */
async function editRecordIn(region: string, keyId: string, edit: (record: Record<string, any>) => void): Promise<void> {
  const stub = keyObject(env as unknown as Bindings, region, keyId);
  await runInDurableObject(stub, async (_instance, state) => {
    const record = await state.storage.get<Record<string, any>>('key');
    edit(record!);
    await state.storage.put('key', record);
  });
  await evictDurableObject(stub);
}

describe('a multi-Region key', () => {
  it('has an mrk- id and a PRIMARY configuration with no replicas, for every kind of key AWS allows', async () => {
    for (const body of [{}, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }, { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }, { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }]) {
      const { KeyMetadata } = await okIn(A, 'CreateKey', { MultiRegion: true, ...body });
      expect(KeyMetadata.KeyId).toMatch(/^mrk-[0-9a-f]{32}$/);
      expect(KeyMetadata.Arn).toBe(arnIn(A, KeyMetadata.KeyId));
      expect(KeyMetadata.MultiRegion).toBe(true);
      expect(KeyMetadata.MultiRegionConfiguration).toEqual({
        MultiRegionKeyType: 'PRIMARY',
        PrimaryKey: { Arn: arnIn(A, KeyMetadata.KeyId), Region: A },
        ReplicaKeys: [],
      });
    }
    const single = (await okIn(A, 'CreateKey', {})).KeyMetadata;
    expect(single.KeyId).not.toMatch(/^mrk-/);
    expect(single.MultiRegion).toBe(false);
    expect(single).not.toHaveProperty('MultiRegionConfiguration');
  });

  it('is named by its mrk- id and ARN everywhere a key id is taken, ciphertext blobs included', async () => {
    const keyId = await primaryIn(A);
    expect((await describeIn(A, arnIn(A, keyId))).KeyId).toBe(keyId);
    const { CiphertextBlob } = await okIn(A, 'Encrypt', { KeyId: keyId, Plaintext: b64(utf8('mrk')) });
    const { Plaintext, KeyId } = await okIn(A, 'Decrypt', { CiphertextBlob });
    expect(new TextDecoder().decode(unb64(Plaintext))).toBe('mrk');
    expect(KeyId).toBe(arnIn(A, keyId));
    await okIn(A, 'CreateAlias', { AliasName: `alias/mrk-${keyId.slice(4, 12)}`, TargetKeyId: keyId });
    expect((await describeIn(A, `alias/mrk-${keyId.slice(4, 12)}`)).KeyId).toBe(keyId);
    // An mrk- id that is not 32 hex digits is no key id.
    expect(await refusedIn(A, 'DescribeKey', { KeyId: 'mrk-1234' }, 'NotFoundException')).toBe('Invalid keyId mrk-1234');
  });
});

describe('ReplicateKey', () => {
  it('creates a replica with the same key id and material in the other region, and a ciphertext of either decrypts in the other', async () => {
    const keyId = await primaryIn(A, { Description: 'primary', Tags: [{ TagKey: 'home', TagValue: 'a' }] });
    await refusedIn(B, 'DescribeKey', { KeyId: keyId }, 'NotFoundException');
    const answer = await okIn(A, 'ReplicateKey', { KeyId: keyId, ReplicaRegion: B, Description: 'replica', Tags: [{ TagKey: 'home', TagValue: 'b' }] });
    expect(answer.ReplicaKeyMetadata).toMatchObject({
      KeyId: keyId,
      Arn: arnIn(B, keyId),
      KeyState: 'Creating',
      Enabled: false,
      Description: 'replica',
      MultiRegion: true,
      MultiRegionConfiguration: { MultiRegionKeyType: 'REPLICA', PrimaryKey: { Arn: arnIn(A, keyId), Region: A }, ReplicaKeys: [{ Arn: arnIn(B, keyId), Region: B }] },
    });
    expect(JSON.parse(answer.ReplicaPolicy as string).Statement[0].Principal.AWS).toBe(`arn:aws:iam::${ACCOUNT}:root`);
    expect(answer.ReplicaTags).toEqual([{ TagKey: 'home', TagValue: 'b' }]);

    const replica = await describeIn(B, keyId);
    expect(replica).toMatchObject({ KeyState: 'Enabled', Enabled: true, Description: 'replica', Arn: arnIn(B, keyId) });
    expect(replica.MultiRegionConfiguration.MultiRegionKeyType).toBe('REPLICA');
    expect((await describeIn(A, keyId)).MultiRegionConfiguration.ReplicaKeys).toEqual([{ Arn: arnIn(B, keyId), Region: B }]);
    expect((await okIn(B, 'ListKeys', { Limit: 1000 })).Keys).toContainEqual({ KeyId: keyId, KeyArn: arnIn(B, keyId) });

    const fromA = (await okIn(A, 'Encrypt', { KeyId: keyId, Plaintext: b64(utf8('from A')), EncryptionContext: { purpose: 'test' } })).CiphertextBlob;
    const inB = await okIn(B, 'Decrypt', { CiphertextBlob: fromA, KeyId: arnIn(B, keyId), EncryptionContext: { purpose: 'test' } });
    expect(new TextDecoder().decode(unb64(inB.Plaintext))).toBe('from A');
    expect(inB.KeyId).toBe(arnIn(B, keyId));
    const fromB = (await okIn(B, 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' })) as Record<string, string>;
    expect((await okIn(A, 'Decrypt', { CiphertextBlob: fromB.CiphertextBlob })).Plaintext).toBe(fromB.Plaintext);
  });

  it('shares signing and HMAC material too', async () => {
    const signing = await primaryIn(A, { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    await okIn(A, 'ReplicateKey', { KeyId: signing, ReplicaRegion: B });
    expect((await okIn(B, 'GetPublicKey', { KeyId: signing })).PublicKey).toBe((await okIn(A, 'GetPublicKey', { KeyId: signing })).PublicKey);
    const { Signature } = await okIn(A, 'Sign', { KeyId: signing, Message: b64(utf8('m')), SigningAlgorithm: 'ECDSA_SHA_256' });
    expect((await okIn(B, 'Verify', { KeyId: signing, Message: b64(utf8('m')), Signature, SigningAlgorithm: 'ECDSA_SHA_256' })).SignatureValid).toBe(true);
    const hmac = await primaryIn(A, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    await okIn(A, 'ReplicateKey', { KeyId: hmac, ReplicaRegion: C });
    const { Mac } = await okIn(C, 'GenerateMac', { KeyId: hmac, Message: b64(utf8('m')), MacAlgorithm: 'HMAC_SHA_256' });
    expect((await okIn(A, 'VerifyMac', { KeyId: hmac, Message: b64(utf8('m')), Mac, MacAlgorithm: 'HMAC_SHA_256' })).MacValid).toBe(true);
  });

  it('refuses a region that already has the key, a single-Region key, and a replica as the source', async () => {
    const keyId = await primaryIn(A);
    await okIn(A, 'ReplicateKey', { KeyId: keyId, ReplicaRegion: B });
    await refusedIn(A, 'ReplicateKey', { KeyId: keyId, ReplicaRegion: B }, 'AlreadyExistsException');
    await refusedIn(A, 'ReplicateKey', { KeyId: keyId, ReplicaRegion: A }, 'AlreadyExistsException');
    await refusedIn(B, 'ReplicateKey', { KeyId: keyId, ReplicaRegion: C }, 'UnsupportedOperationException');
    const single = (await okIn(A, 'CreateKey', {})).KeyMetadata.KeyId as string;
    await refusedIn(A, 'ReplicateKey', { KeyId: single, ReplicaRegion: B }, 'UnsupportedOperationException');
    await refusedIn(A, 'ReplicateKey', { KeyId: keyId, ReplicaRegion: 'not a region' }, 'ValidationException');
    await refusedIn(A, 'ReplicateKey', { KeyId: keyId, ReplicaRegion: B, Policy: 'my policy' }, 'AlreadyExistsException');
    // Nothing of the refusals reached the configuration.
    expect((await describeIn(A, keyId)).MultiRegionConfiguration.ReplicaKeys).toEqual([{ Arn: arnIn(B, keyId), Region: B }]);
  });

  it('lists every replica in every member, and keeps policy, tags, description and enabled state per replica', async () => {
    const keyId = await primaryIn(A, { Description: 'p' });
    await okIn(A, 'ReplicateKey', { KeyId: keyId, ReplicaRegion: B });
    await okIn(A, 'ReplicateKey', { KeyId: keyId, ReplicaRegion: C });
    const replicas = [
      { Arn: arnIn(C, keyId), Region: C },
      { Arn: arnIn(B, keyId), Region: B },
    ].sort((x, y) => x.Region.localeCompare(y.Region));
    for (const region of [A, B, C]) expect((await describeIn(region, keyId)).MultiRegionConfiguration.ReplicaKeys).toEqual(replicas);

    await okIn(B, 'DisableKey', { KeyId: keyId });
    await okIn(C, 'TagResource', { KeyId: keyId, Tags: [{ TagKey: 'only', TagValue: 'c' }] });
    await okIn(C, 'UpdateKeyDescription', { KeyId: keyId, Description: 'c' });
    expect((await describeIn(B, keyId)).KeyState).toBe('Disabled');
    expect((await describeIn(A, keyId)).KeyState).toBe('Enabled');
    await refusedIn(B, 'Encrypt', { KeyId: keyId, Plaintext: b64(utf8('x')) }, 'DisabledException');
    await okIn(C, 'Encrypt', { KeyId: keyId, Plaintext: b64(utf8('x')) });
    expect((await okIn(A, 'ListResourceTags', { KeyId: keyId })).Tags).toEqual([]);
    expect((await okIn(C, 'ListResourceTags', { KeyId: keyId })).Tags).toEqual([{ TagKey: 'only', TagValue: 'c' }]);
    expect((await describeIn(A, keyId)).Description).toBe('p');
    expect((await describeIn(C, keyId)).Description).toBe('c');

    // A replica's own policy: this one lets the account describe the key, nothing more.
    const keyId2 = await primaryIn(A);
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:DescribeKey', Resource: '*' }],
    });
    const answer = await okIn(A, 'ReplicateKey', { KeyId: keyId2, ReplicaRegion: B, Policy: policy, BypassPolicyLockoutSafetyCheck: true });
    expect(answer.ReplicaPolicy).toBe(policy);
    await okIn(B, 'DescribeKey', { KeyId: keyId2 });
    await refusedIn(B, 'Encrypt', { KeyId: keyId2, Plaintext: b64(utf8('x')) }, 'AccessDeniedException');
    await refusedIn(B, 'GetKeyPolicy', { KeyId: keyId2 }, 'AccessDeniedException');
    await okIn(A, 'Encrypt', { KeyId: keyId2, Plaintext: b64(utf8('x')) });
  });
});

describe('key policies of multi-Region keys', () => {
  it('decide ReplicateKey by kms:ReplicaRegion and UpdatePrimaryRegion by kms:PrimaryRegion', async () => {
    const root = `arn:aws:iam::${ACCOUNT}:root`;
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: root }, Action: 'kms:*', Resource: '*' },
        { Effect: 'Deny', Principal: { AWS: root }, Action: 'kms:ReplicateKey', Resource: '*', Condition: { StringEquals: { 'kms:ReplicaRegion': C } } },
        { Effect: 'Deny', Principal: { AWS: root }, Action: 'kms:UpdatePrimaryRegion', Resource: '*', Condition: { StringNotEquals: { 'kms:PrimaryRegion': B } } },
      ],
    });
    const keyId = await primaryIn(A, { Policy: policy, BypassPolicyLockoutSafetyCheck: true });
    await refusedIn(A, 'ReplicateKey', { KeyId: keyId, ReplicaRegion: C }, 'AccessDeniedException');
    await okIn(A, 'ReplicateKey', { KeyId: keyId, ReplicaRegion: B });
    await okIn(A, 'ReplicateKey', { KeyId: keyId, ReplicaRegion: 'us-west-2' });
    await refusedIn(A, 'UpdatePrimaryRegion', { KeyId: keyId, PrimaryRegion: 'us-west-2' }, 'AccessDeniedException');
    expect((await describeIn(A, keyId)).MultiRegionConfiguration.PrimaryKey.Region).toBe(A);
    await okIn(A, 'UpdatePrimaryRegion', { KeyId: keyId, PrimaryRegion: B });
    expect((await describeIn('us-west-2', keyId)).MultiRegionConfiguration.PrimaryKey.Region).toBe(B);
  });
});

describe('shared properties', () => {
  it('rotation on the primary reaches its replicas: new material, and the rotation status', async () => {
    const keyId = await primaryIn(A);
    await okIn(A, 'ReplicateKey', { KeyId: keyId, ReplicaRegion: B });
    await okIn(A, 'RotateKeyOnDemand', { KeyId: keyId });
    const blob = (await okIn(A, 'Encrypt', { KeyId: keyId, Plaintext: b64(utf8('v2')) })).CiphertextBlob as string;
    expect(new DataView(unb64(blob).buffer).getUint32(39)).toBe(2);
    expect(new TextDecoder().decode(unb64((await okIn(B, 'Decrypt', { CiphertextBlob: blob })).Plaintext))).toBe('v2');
    // The replica encrypts under the new version too.
    const fromB = (await okIn(B, 'Encrypt', { KeyId: keyId, Plaintext: b64(utf8('x')) })).CiphertextBlob as string;
    expect(new DataView(unb64(fromB).buffer).getUint32(39)).toBe(2);
    expect((await describeIn(B, keyId)).CurrentKeyMaterialId).toBe((await describeIn(A, keyId)).CurrentKeyMaterialId);

    await okIn(A, 'EnableKeyRotation', { KeyId: keyId, RotationPeriodInDays: 100 });
    expect(await okIn(B, 'GetKeyRotationStatus', { KeyId: keyId })).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 100 });
    for (const operation of ['RotateKeyOnDemand', 'EnableKeyRotation', 'DisableKeyRotation']) {
      await refusedIn(B, operation, { KeyId: keyId }, 'UnsupportedOperationException');
    }
  });

  it('a replica that missed a push catches up on the next one', async () => {
    const keyId = await primaryIn(A);
    await okIn(A, 'ReplicateKey', { KeyId: keyId, ReplicaRegion: B });
    // Version 2 lost on its way to the replica.
    await okIn(A, 'RotateKeyOnDemand', { KeyId: keyId });
    await runInDurableObject(keyObject(env as unknown as Bindings, B, keyId), async (_instance, state) => {
      await state.storage.delete('version:0000000002');
    });
    await evictDurableObject(keyObject(env as unknown as Bindings, B, keyId));
    await okIn(A, 'RotateKeyOnDemand', { KeyId: keyId });
    const blob2 = await runInDurableObject(keyObject(env as unknown as Bindings, B, keyId), async (_instance, state) => (await state.storage.list({ prefix: 'version:' })).size);
    expect(blob2).toBe(3);
  });
});

describe('UpdatePrimaryRegion', () => {
  it('moves the primary, and DescribeKey in every region shows the new configuration', async () => {
    const keyId = await primaryIn(A);
    await okIn(A, 'ReplicateKey', { KeyId: keyId, ReplicaRegion: B });
    await okIn(A, 'ReplicateKey', { KeyId: keyId, ReplicaRegion: C });
    await refusedIn(B, 'UpdatePrimaryRegion', { KeyId: keyId, PrimaryRegion: B }, 'UnsupportedOperationException');
    await refusedIn(A, 'UpdatePrimaryRegion', { KeyId: keyId, PrimaryRegion: 'us-west-1' }, 'NotFoundException');
    expect(await okIn(A, 'UpdatePrimaryRegion', { KeyId: keyId, PrimaryRegion: B })).toEqual({});
    const expected = (region: string) => ({
      MultiRegionKeyType: region === B ? 'PRIMARY' : 'REPLICA',
      PrimaryKey: { Arn: arnIn(B, keyId), Region: B },
      ReplicaKeys: [A, C].sort().map((member) => ({ Arn: arnIn(member, keyId), Region: member })),
    });
    for (const region of [A, B, C]) expect((await describeIn(region, keyId)).MultiRegionConfiguration).toEqual(expected(region));
    // The new primary replicates and rotates; the old one no longer does.
    await refusedIn(A, 'RotateKeyOnDemand', { KeyId: keyId }, 'UnsupportedOperationException');
    await okIn(B, 'RotateKeyOnDemand', { KeyId: keyId });
    const blob = (await okIn(B, 'Encrypt', { KeyId: keyId, Plaintext: b64(utf8('after')) })).CiphertextBlob;
    for (const region of [A, C]) expect(new TextDecoder().decode(unb64((await okIn(region, 'Decrypt', { CiphertextBlob: blob })).Plaintext))).toBe('after');
    await okIn(B, 'ReplicateKey', { KeyId: keyId, ReplicaRegion: 'us-west-2' });
    expect((await describeIn(A, keyId)).MultiRegionConfiguration.ReplicaKeys.map((key: { Region: string }) => key.Region)).toEqual([A, C, 'us-west-2'].sort());
  });
});

describe('deletion', () => {
  it('a primary with replicas waits in PendingReplicaDeletion until its last replica is deleted', async () => {
    const keyId = await primaryIn(A);
    await okIn(A, 'ReplicateKey', { KeyId: keyId, ReplicaRegion: B });
    const scheduled = await okIn(A, 'ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 });
    expect(scheduled).toEqual({ KeyId: arnIn(A, keyId), KeyState: 'PendingReplicaDeletion', PendingWindowInDays: 7 });
    const primary = await describeIn(A, keyId);
    expect(primary).toMatchObject({ KeyState: 'PendingReplicaDeletion', PendingDeletionWindowInDays: 7, Enabled: false });
    expect(primary).not.toHaveProperty('DeletionDate');
    await refusedIn(A, 'Encrypt', { KeyId: keyId, Plaintext: b64(utf8('x')) }, 'KMSInvalidStateException');
    await refusedIn(A, 'ReplicateKey', { KeyId: keyId, ReplicaRegion: C }, 'KMSInvalidStateException');

    await okIn(B, 'ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 });
    await editRecordIn(B, keyId, (record) => void (record.deletionDate = Date.now() - 1000));
    expect(await runDurableObjectAlarm(keyObject(env as unknown as Bindings, B, keyId))).toBe(true);
    await refusedIn(B, 'DescribeKey', { KeyId: keyId }, 'NotFoundException');
    const after = await describeIn(A, keyId);
    expect(after).toMatchObject({ KeyState: 'PendingDeletion', PendingDeletionWindowInDays: 7 });
    expect(after.DeletionDate * 1000).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    expect(after.MultiRegionConfiguration.ReplicaKeys).toEqual([]);
    // Replicating to the region again recreates the replica, with the primary's material.
    await okIn(A, 'CancelKeyDeletion', { KeyId: keyId });
    await okIn(A, 'EnableKey', { KeyId: keyId });
    const blob = (await okIn(A, 'Encrypt', { KeyId: keyId, Plaintext: b64(utf8('again')) })).CiphertextBlob;
    await okIn(A, 'ReplicateKey', { KeyId: keyId, ReplicaRegion: B });
    expect(new TextDecoder().decode(unb64((await okIn(B, 'Decrypt', { CiphertextBlob: blob })).Plaintext))).toBe('again');
  });
});

describe('placement', () => {
  it('maps every commercial region to a Cloudflare location hint of its area', () => {
    const hints = new Set(['wnam', 'enam', 'sam', 'weur', 'eeur', 'apac', 'oc', 'afr', 'me']);
    for (const region of COMMERCIAL_REGIONS) expect(hints.has(locationHintOf(region)!), region).toBe(true);
    expect(locationHintOf('us-east-1')).toBe('enam');
    expect(locationHintOf('us-west-2')).toBe('wnam');
    expect(locationHintOf('eu-west-1')).toBe('weur');
    expect(locationHintOf('eu-north-1')).toBe('eeur');
    expect(locationHintOf('ap-southeast-2')).toBe('oc');
    expect(locationHintOf('ap-northeast-1')).toBe('apac');
    expect(locationHintOf('sa-east-1')).toBe('sam');
    expect(locationHintOf('af-south-1')).toBe('afr');
    expect(locationHintOf('me-central-1')).toBe('me');
  });

  it('puts EU regions in the EU jurisdiction only when configured, and never the default region', () => {
    expect(placementOf({ KMS_REGION: 'us-east-1' }, 'eu-west-1')).toEqual({ locationHint: 'weur' });
    expect(placementOf({ KMS_REGION: 'us-east-1', KMS_EU_JURISDICTION: '1' }, 'eu-west-1')).toEqual({ locationHint: 'weur', jurisdiction: 'eu' });
    expect(placementOf({ KMS_REGION: 'us-east-1', KMS_EU_JURISDICTION: '1' }, 'us-west-2')).toEqual({ locationHint: 'wnam' });
    expect(placementOf({ KMS_REGION: 'eu-west-1', KMS_EU_JURISDICTION: '1' }, 'eu-west-1')).toEqual({ locationHint: 'weur' });
  });

  it("passes each region's hint and jurisdiction to the namespace, and the default region keeps its object ids", async () => {
    const calls: string[] = [];
    const recording = <T extends Rpc.DurableObjectBranded | undefined>(namespace: DurableObjectNamespace<T>, label: string): DurableObjectNamespace<T> =>
      new Proxy(namespace, {
        get(target, name) {
          if (name === 'get') return (id: DurableObjectId, options?: DurableObjectNamespaceGetDurableObjectOptions) => (calls.push(`${label} get ${JSON.stringify(options ?? {})}`), target.get(id, options));
          // workerd does not implement jurisdictions ("not implemented"): the call is recorded, and the local namespace stands in for the EU one.
          if (name === 'jurisdiction') return (jurisdiction: DurableObjectJurisdiction) => (calls.push(`${label} jurisdiction ${jurisdiction}`), recording(target, `${label}/${jurisdiction}`));
          const value = Reflect.get(target, name) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    const real = env as unknown as Bindings;
    const bindings: Bindings = { ...real, KMS_EU_JURISDICTION: '1', KEY_OBJECT: recording(real.KEY_OBJECT, 'key') };
    const keyId = `mrk-${'ab'.repeat(16)}`;
    keyObject(bindings, 'eu-central-1', keyId);
    keyObject(bindings, 'ap-south-1', keyId);
    keyObject(bindings, A, keyId);
    expect(calls).toEqual([
      // Once for the id, once for the stub.
      'key jurisdiction eu',
      'key jurisdiction eu',
      'key/eu get {"locationHint":"weur"}',
      'key get {"locationHint":"apac"}',
      'key get {"locationHint":"enam"}',
    ]);
    // The default region's object is the one its name always gave, hint or not: its stored keys stay.
    const single = (await okIn(A, 'CreateKey', {})).KeyMetadata.KeyId as string;
    expect(keyObject(env as unknown as Bindings, A, single).id.toString()).toBe(env.KEY_OBJECT.idFromName(single).toString());
  });
});
