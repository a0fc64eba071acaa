import { env, evictDurableObject, listDurableObjectIds, runDurableObjectAlarm, runInDurableObject, SELF } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import { COMMERCIAL_REGIONS, servedRegions } from '../../worker/regions';
import { decrypt, EdgeKmsKeyring, encrypt } from '../../sdk/index';
import { ADMIN_TOKEN, b64, sdkClient, utf8 } from './helpers';
import { inRegion, okIn, type Answer } from './region-requests';

const admin = inject('accessKeys').admin;
const ACCOUNT = admin.account;


async function notFoundIn(region: string, operation: string, body: unknown): Promise<string> {
  const answer = await inRegion(region, operation, body);
  expect(answer.body.__type, `${operation} in ${region}: ${JSON.stringify(answer.body)}`).toBe('NotFoundException');
  expect(answer.status).toBe(400);
  return answer.body.message as string;
}

/** A native (bearer) request, with the region header when given. */
async function native(operation: string, body: unknown, region?: string): Promise<Answer> {
  const response = await SELF.fetch(`https://kms.test/v1/${operation}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', ...(region !== undefined && { 'x-edgekms-region': region }) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: JSON.parse(await response.text()) as Record<string, any> };
}

async function keyIn(region: string, body: Record<string, unknown> = {}): Promise<{ keyId: string; arn: string }> {
  const { KeyMetadata } = await okIn(region, 'CreateKey', body);
  return { keyId: KeyMetadata.KeyId as string, arn: KeyMetadata.Arn as string };
}

async function allKeyIds(region: string): Promise<string[]> {
  const ids: string[] = [];
  let marker: string | undefined;
  do {
    const page = await okIn(region, 'ListKeys', { Limit: 1000, ...(marker && { Marker: marker }) });
    ids.push(...(page.Keys as Array<{ KeyId: string }>).map((key) => key.KeyId));
    marker = page.NextMarker as string | undefined;
  } while (marker);
  return ids;
}

const message = b64(utf8('hello'));

describe('the served regions', () => {
  it('are every commercial region by default, and KMS_REGIONS narrows them (the default region always stays)', () => {
    expect(COMMERCIAL_REGIONS).toHaveLength(34);
    expect([...servedRegions({ KMS_REGION: 'us-east-1' })].sort()).toEqual([...COMMERCIAL_REGIONS].sort());
    expect([...servedRegions({ KMS_REGION: 'us-east-1', KMS_REGIONS: 'eu-west-1, us-west-2' })].sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2']);
    // A list naming no region code serves the default region alone, never every region.
    expect([...servedRegions({ KMS_REGION: 'us-east-1', KMS_REGIONS: 'all' })]).toEqual(['us-east-1']);
    expect([...servedRegions({ KMS_REGION: 'us-east-1', KMS_REGIONS: 'eu-west-1,../x,US-EAST-2' })].sort()).toEqual(['eu-west-1', 'us-east-1']);
  });

  it('answer SigV4 requests scoped to any of them, and refuse a scope naming another', async () => {
    for (const region of ['us-east-1', 'eu-west-1', 'ap-southeast-7', 'sa-east-1']) expect((await inRegion(region, 'ListKeys')).status).toBe(200);
    for (const region of ['cn-north-1', 'us-gov-west-1', 'moon-base-1', 'us-east-1a']) {
      const answer = await inRegion(region, 'ListKeys');
      expect(answer.body.__type).toBe('InvalidSignatureException');
      expect(answer.body.message).toBe(`Credential should be scoped to a valid region, not '${region}'.`);
    }
  });
});

describe('a key lives in the region its CreateKey was signed for', () => {
  it('carries the region in its ARN and is NotFound from any other region, by id, ARN or alias', async () => {
    const { keyId, arn } = await keyIn('us-west-2');
    expect(arn).toBe(`arn:aws:kms:us-west-2:${ACCOUNT}:key/${keyId}`);
    const alias = `alias/regional-${crypto.randomUUID()}`;
    await okIn('us-west-2', 'CreateAlias', { AliasName: alias, TargetKeyId: keyId });

    expect((await okIn('us-west-2', 'DescribeKey', { KeyId: keyId })).KeyMetadata.Arn).toBe(arn);
    expect((await okIn('us-west-2', 'DescribeKey', { KeyId: alias })).KeyMetadata.KeyId).toBe(keyId);
    const blob = (await okIn('us-west-2', 'Encrypt', { KeyId: arn, Plaintext: message })).CiphertextBlob as string;
    expect((await okIn('us-west-2', 'Encrypt', { KeyId: alias, Plaintext: message })).KeyId).toBe(arn);

    for (const region of ['eu-west-1', 'us-east-1']) {
      await notFoundIn(region, 'DescribeKey', { KeyId: keyId });
      await notFoundIn(region, 'DescribeKey', { KeyId: alias });
      await notFoundIn(region, 'DescribeKey', { KeyId: `arn:aws:kms:${region}:${ACCOUNT}:key/${keyId}` });
      await notFoundIn(region, 'Encrypt', { KeyId: keyId, Plaintext: message });
      await notFoundIn(region, 'Decrypt', { CiphertextBlob: blob });
      await notFoundIn(region, 'EnableKeyRotation', { KeyId: keyId });
      await notFoundIn(region, 'ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 });
      // An ARN that names another region than the request's is refused as AWS KMS refuses it.
      expect(await notFoundIn(region, 'DescribeKey', { KeyId: arn })).toBe('Invalid arn us-west-2');
      expect(await notFoundIn(region, 'Encrypt', { KeyId: `arn:aws:kms:us-west-2:${ACCOUNT}:${alias}`, Plaintext: message })).toBe('Invalid arn us-west-2');
    }
    // Nothing above touched the key: it is still enabled in its own region.
    expect((await okIn('us-west-2', 'DescribeKey', { KeyId: keyId })).KeyMetadata.KeyState).toBe('Enabled');
    expect((await okIn('us-west-2', 'Decrypt', { CiphertextBlob: blob })).Plaintext).toBe(message);
  });

  it('is listed by ListKeys in its region only', async () => {
    const { keyId } = await keyIn('ca-central-1');
    const home = await keyIn('us-east-1');
    expect(await allKeyIds('ca-central-1')).toContain(keyId);
    expect(await allKeyIds('ca-central-1')).not.toContain(home.keyId);
    expect(await allKeyIds('us-east-1')).not.toContain(keyId);
    expect(await allKeyIds('eu-west-1')).not.toContain(keyId);
    const listed = (await okIn('ca-central-1', 'ListKeys', { Limit: 1000 })).Keys as Array<{ KeyId: string; KeyArn: string }>;
    for (const entry of listed) expect(entry.KeyArn).toBe(`arn:aws:kms:ca-central-1:${ACCOUNT}:key/${entry.KeyId}`);
  });
});

describe('aliases are per region', () => {
  it('one alias name names a different key in each region, and ListAliases lists a region its own', async () => {
    const alias = `alias/same-name-${crypto.randomUUID()}`;
    const west = await keyIn('us-west-2');
    const europe = await keyIn('eu-west-1');
    await okIn('us-west-2', 'CreateAlias', { AliasName: alias, TargetKeyId: west.keyId });
    await okIn('eu-west-1', 'CreateAlias', { AliasName: alias, TargetKeyId: europe.keyId });
    // A target of another region is not found, by id or by ARN.
    await notFoundIn('eu-west-1', 'UpdateAlias', { AliasName: alias, TargetKeyId: west.keyId });
    expect(await notFoundIn('eu-west-1', 'CreateAlias', { AliasName: `${alias}-2`, TargetKeyId: west.arn })).toBe('Invalid arn us-west-2');

    expect((await okIn('us-west-2', 'DescribeKey', { KeyId: alias })).KeyMetadata.KeyId).toBe(west.keyId);
    expect((await okIn('eu-west-1', 'DescribeKey', { KeyId: alias })).KeyMetadata.KeyId).toBe(europe.keyId);
    await notFoundIn('us-east-1', 'DescribeKey', { KeyId: alias });

    const listed = async (region: string) => {
      const { Aliases } = await okIn(region, 'ListAliases', { Limit: 1000 });
      return (Aliases as Array<{ AliasName: string; AliasArn: string; TargetKeyId?: string }>).filter((entry) => entry.AliasName === alias);
    };
    expect(await listed('us-west-2')).toEqual([
      expect.objectContaining({ AliasArn: `arn:aws:kms:us-west-2:${ACCOUNT}:${alias}`, TargetKeyId: west.keyId }),
    ]);
    expect(await listed('eu-west-1')).toEqual([
      expect.objectContaining({ AliasArn: `arn:aws:kms:eu-west-1:${ACCOUNT}:${alias}`, TargetKeyId: europe.keyId }),
    ]);
    expect(await listed('us-east-1')).toEqual([]);
    // ListAliases for a key of another region: the key is not found there.
    await notFoundIn('eu-west-1', 'ListAliases', { KeyId: west.keyId });
    await notFoundIn('eu-west-1', 'ListAliases', { KeyId: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${west.keyId}` });

    // Deleting it in one region leaves the other's.
    await okIn('eu-west-1', 'DeleteAlias', { AliasName: alias });
    expect((await okIn('us-west-2', 'DescribeKey', { KeyId: alias })).KeyMetadata.KeyId).toBe(west.keyId);
    await notFoundIn('eu-west-1', 'DescribeKey', { KeyId: alias });
  });
});

describe('the end of a deletion window', () => {
  it("removes the key and its aliases from its own region's Directory, and nothing from another's", async () => {
    const alias = `alias/doomed-${crypto.randomUUID()}`;
    const doomed = await keyIn('us-west-2');
    const survivor = await keyIn('eu-west-1');
    await okIn('us-west-2', 'CreateAlias', { AliasName: alias, TargetKeyId: doomed.keyId });
    await okIn('eu-west-1', 'CreateAlias', { AliasName: alias, TargetKeyId: survivor.keyId });
    await okIn('us-west-2', 'ScheduleKeyDeletion', { KeyId: doomed.keyId, PendingWindowInDays: 7 });

    const stub = env.KEY_OBJECT.get(env.KEY_OBJECT.idFromName(`us-west-2/${doomed.keyId}`));
    await runInDurableObject(stub, async (_instance, state) => {
      const record = (await state.storage.get<Record<string, any>>('key'))!;
      expect(record.region).toBe('us-west-2');
      record.deletionDate = Date.now() - 1000;
      await state.storage.put('key', record);
    });
    await evictDurableObject(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);

    await notFoundIn('us-west-2', 'DescribeKey', { KeyId: doomed.keyId });
    await notFoundIn('us-west-2', 'DescribeKey', { KeyId: alias });
    expect(await allKeyIds('us-west-2')).not.toContain(doomed.keyId);
    expect((await okIn('eu-west-1', 'DescribeKey', { KeyId: alias })).KeyMetadata.KeyId).toBe(survivor.keyId);
  });
});

describe('aws:RequestedRegion', () => {
  it("is the region the request acts in, for key policies' conditions", async () => {
    const { keyId } = await keyIn('eu-west-3');
    const policy = (region: string) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
          { Effect: 'Deny', Principal: '*', Action: 'kms:Encrypt', Resource: '*', Condition: { StringNotEquals: { 'aws:RequestedRegion': region } } },
        ],
      });
    await okIn('eu-west-3', 'PutKeyPolicy', { KeyId: keyId, PolicyName: 'default', Policy: policy('eu-west-3') });
    await okIn('eu-west-3', 'Encrypt', { KeyId: keyId, Plaintext: message });
    await okIn('eu-west-3', 'PutKeyPolicy', { KeyId: keyId, PolicyName: 'default', Policy: policy('us-east-1') });
    expect((await inRegion('eu-west-3', 'Encrypt', { KeyId: keyId, Plaintext: message })).body.__type).toBe('AccessDeniedException');
  });
});

describe('grants are per region', () => {
  it("a grant's token and its retirable-grants index do not reach into another region", async () => {
    const { keyId } = await keyIn('eu-north-1');
    const retiring = `arn:aws:iam::${ACCOUNT}:user/${admin.user}`;
    const grant = await okIn('eu-north-1', 'CreateGrant', {
      KeyId: keyId,
      GranteePrincipal: retiring,
      RetiringPrincipal: retiring,
      Operations: ['Encrypt', 'RetireGrant'],
    });
    const retirable = async (region: string) =>
      ((await okIn(region, 'ListRetirableGrants', { RetiringPrincipal: retiring, Limit: 1000 })).Grants as Array<{ GrantId: string }>).map((entry) => entry.GrantId);
    expect(await retirable('eu-north-1')).toContain(grant.GrantId);
    expect(await retirable('eu-west-1')).not.toContain(grant.GrantId);
    await notFoundIn('eu-west-1', 'RetireGrant', { GrantToken: grant.GrantToken });
    await notFoundIn('eu-west-1', 'Encrypt', { KeyId: keyId, Plaintext: message, GrantTokens: [grant.GrantToken] });
    await okIn('eu-north-1', 'RetireGrant', { GrantToken: grant.GrantToken });
    expect(await retirable('eu-north-1')).not.toContain(grant.GrantId);
  });
});

describe('the account-wide audit trail is per region', () => {
  it("lists a region's own requests and keys, not another region's", async () => {
    const { keyId } = await keyIn('ap-south-1');
    await okIn('ap-south-1', 'Encrypt', { KeyId: keyId, Plaintext: message });
    // Refused with NotFound in another region: recorded in that region's account chain, not in the key's.
    await notFoundIn('ap-northeast-1', 'DescribeKey', { KeyId: keyId });

    const trail = async (region: string) => {
      const records: Array<Record<string, any>> = [];
      let marker: string | undefined;
      do {
        const page = await okIn(region, 'ListAuditRecords', { Limit: 1000, ...(marker && { Marker: marker }) });
        records.push(...(page.Records as Array<Record<string, any>>));
        marker = page.NextMarker as string | undefined;
      } while (marker);
      return records;
    };
    const home = await trail('ap-south-1');
    expect(home.some((record) => record.KeyId === keyId && record.Operation === 'kms:Encrypt')).toBe(true);
    expect(home.some((record) => record.Operation === 'kms:DescribeKey' && record.Outcome !== 'Success' && record.ErrorName === 'NotFoundException')).toBe(false);
    const elsewhere = await trail('ap-northeast-1');
    expect(elsewhere.some((record) => record.KeyId === keyId && record.Operation === 'kms:Encrypt')).toBe(false);
    expect(elsewhere.some((record) => record.Operation === 'kms:DescribeKey' && record.ErrorName === 'NotFoundException')).toBe(true);

    const verified = await okIn('ap-south-1', 'VerifyAuditChain', {});
    expect((verified.Chains as Array<{ Source: string }>).map((chain) => chain.Source)).toContain(keyId);
    const verifiedElsewhere = await okIn('ap-northeast-1', 'VerifyAuditChain', {});
    expect((verifiedElsewhere.Chains as Array<{ Source: string }>).map((chain) => chain.Source)).not.toContain(keyId);
  });
});

describe('native (bearer) requests', () => {
  it('act in the region of the key ARN they name, else the x-edgekms-region header, else KMS_REGION', async () => {
    const { keyId, arn } = await keyIn('eu-central-1');
    expect((await native('DescribeKey', { KeyId: arn })).body.KeyMetadata?.Arn).toBe(arn);
    // The ARN decides over the header.
    expect((await native('DescribeKey', { KeyId: arn }, 'us-west-1')).body.KeyMetadata?.Arn).toBe(arn);
    expect((await native('DescribeKey', { KeyId: keyId }, 'eu-central-1')).body.KeyMetadata?.Arn).toBe(arn);
    expect((await native('DescribeKey', { KeyId: keyId })).body.__type).toBe('NotFoundException');
    expect((await native('DescribeKey', { KeyId: keyId }, 'us-east-1')).body.__type).toBe('NotFoundException');

    const created = (await native('CreateKey', {}, 'eu-central-1')).body.KeyMetadata;
    expect(created.Arn).toBe(`arn:aws:kms:eu-central-1:${ACCOUNT}:key/${created.KeyId}`);
    expect((await native('CreateKey', {})).body.KeyMetadata.Arn).toMatch(/^arn:aws:kms:us-east-1:/);
    // A ciphertext blob names no region: Decrypt without a KeyId ARN acts in the header's region.
    const blob = (await native('Encrypt', { KeyId: arn, Plaintext: message })).body.CiphertextBlob as string;
    expect((await native('Decrypt', { CiphertextBlob: blob }, 'eu-central-1')).body.Plaintext).toBe(message);
    expect((await native('Decrypt', { CiphertextBlob: blob })).body.__type).toBe('NotFoundException');
    expect((await native('Decrypt', { CiphertextBlob: blob, KeyId: arn })).body.Plaintext).toBe(message);
  });

  it("the SDK's client acts in its `region` option; its keyring reaches a key of any region by the key's ARN", async () => {
    const regional = sdkClient({ region: 'ap-northeast-2' });
    const created = await regional.send<{ KeyMetadata: { Arn: string; KeyId: string } }>('CreateKey', {});
    expect(created.KeyMetadata.Arn).toBe(`arn:aws:kms:ap-northeast-2:${ACCOUNT}:key/${created.KeyMetadata.KeyId}`);
    expect((await regional.describeKey({ KeyId: created.KeyMetadata.KeyId })).KeyMetadata.Arn).toBe(created.KeyMetadata.Arn);
    // A client without the option, by the ARN alone.
    const keyring = new EdgeKmsKeyring({ client: sdkClient(), generatorKeyId: created.KeyMetadata.Arn });
    const plaintext = utf8('sealed in ap-northeast-2');
    const { ciphertext } = await encrypt(keyring, plaintext, { encryptionContext: { purpose: 'regions' } });
    expect((await decrypt(keyring, ciphertext)).plaintext).toEqual(plaintext);
  });

  it('refuse a region that is not served', async () => {
    const header = await native('ListKeys', {}, 'cn-north-1');
    expect(header.status).toBe(400);
    expect(header.body.__type).toBe('ValidationException');
    const arn = await native('DescribeKey', { KeyId: `arn:aws:kms:moon-base-1:${ACCOUNT}:key/${crypto.randomUUID()}` });
    expect(arn.status).toBe(404);
    expect(arn.body).toEqual({ __type: 'NotFoundException', message: 'Invalid arn moon-base-1' });
  });
});

describe('storage names', () => {
  it("are unchanged in the default region, so keys stored before regions stay reachable; other regions' are their own", async () => {
    const home = (await native('CreateKey', {})).body.KeyMetadata.KeyId as string;
    const away = await keyIn('us-west-2');
    const stored = new Set((await listDurableObjectIds(env.KEY_OBJECT)).map((id) => id.toString()));
    // The default region's key object is named by its key id alone, as before regions; its Directory by the account.
    expect(stored.has(env.KEY_OBJECT.idFromName(home).toString())).toBe(true);
    const listedHome = await runInDurableObject(env.DIRECTORY.get(env.DIRECTORY.idFromName(ACCOUNT)), (_instance, state) =>
      state.storage.sql.exec('SELECT 1 FROM keys WHERE key_id = ?', home).toArray().length,
    );
    expect(listedHome).toBe(1);
    // Another region's key object and Directory carry the region, and its key id alone names no stored object.
    expect(stored.has(env.KEY_OBJECT.idFromName(`us-west-2/${away.keyId}`).toString())).toBe(true);
    expect(stored.has(env.KEY_OBJECT.idFromName(away.keyId).toString())).toBe(false);
    const listedAway = await runInDurableObject(env.DIRECTORY.get(env.DIRECTORY.idFromName(`us-west-2/${ACCOUNT}`)), (_instance, state) =>
      state.storage.sql.exec('SELECT 1 FROM keys WHERE key_id = ?', away.keyId).toArray().length,
    );
    expect(listedAway).toBe(1);
  });

  it('a key and alias stored as before regions (key id, account id names) answer in the default region only', async () => {
    // A key record written under its key id alone, and Directory rows under the account alone, as the code before regions wrote them.
    const template = (await native('CreateKey', {})).body.KeyMetadata.KeyId as string;
    // Its record only: DescribeKey, ListKeys and alias resolution need no key material.
    const record = await runInDurableObject(env.KEY_OBJECT.get(env.KEY_OBJECT.idFromName(template)), (_instance, state) =>
      state.storage.get<Record<string, unknown>>('key'),
    );
    const legacyId = crypto.randomUUID();
    const legacy = env.KEY_OBJECT.get(env.KEY_OBJECT.idFromName(legacyId));
    await runInDurableObject(legacy, async (_instance, state) => {
      await state.storage.put('key', { ...record, keyId: legacyId, region: 'us-east-1' });
    });
    await evictDurableObject(legacy);
    const alias = `alias/legacy-${crypto.randomUUID()}`;
    await runInDurableObject(env.DIRECTORY.get(env.DIRECTORY.idFromName(ACCOUNT)), (_instance, state) => {
      state.storage.sql.exec('INSERT INTO keys (key_id, created_at) VALUES (?, ?)', legacyId, Date.now());
      state.storage.sql.exec('INSERT INTO aliases (alias_name, key_id, created_at, updated_at) VALUES (?, ?, ?, ?)', alias, legacyId, Date.now(), Date.now());
    });

    const arn = `arn:aws:kms:us-east-1:${ACCOUNT}:key/${legacyId}`;
    expect((await okIn('us-east-1', 'DescribeKey', { KeyId: alias })).KeyMetadata.Arn).toBe(arn);
    expect((await native('DescribeKey', { KeyId: legacyId })).body.KeyMetadata?.Arn).toBe(arn);
    expect(await allKeyIds('us-east-1')).toContain(legacyId);
    await notFoundIn('eu-west-1', 'DescribeKey', { KeyId: legacyId });
    await notFoundIn('eu-west-1', 'DescribeKey', { KeyId: alias });
  });

  it("a key object refuses a caller acting in another region than its record's", async () => {
    const { keyId } = await keyIn('us-east-1');
    const stub = env.KEY_OBJECT.get(env.KEY_OBJECT.idFromName(keyId));
    const caller = {
      principal: { account: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, kind: 'admin' as const, claims: {}, roles: [], isAccountAdmin: true },
      request: { requestId: crypto.randomUUID(), via: 'native' as const },
    };
    expect((await stub.describe({ ...caller, region: 'us-east-1' })).value?.keyId).toBe(keyId);
    const refused = await stub.describe({ ...caller, region: 'eu-west-1' });
    expect(refused.error?.name).toBe('NotFoundException');
    expect(refused.value).toBeUndefined();
  });
});
