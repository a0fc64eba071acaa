import { env, evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createKey, editStoredRecord, keyStub, kms, mintToken, ok } from './helpers';

/**
 * The key object and the Directory store grants and tags under domain names
 * (key-object/grants.ts, key-record.ts); releases before them stored AWS's
 * shapes (GrantId, GranteePrincipal, TagKey...). Data written that way is
 * never rewritten in bulk, so it must read through the API as it did.
 */
const ACCOUNT = '111122223333';
const arnOf = (sub: string) => `arn:aws:sts::${ACCOUNT}:federated-user/${sub}`;
const as = async (sub: string, operation: string, body: unknown) => kms(operation, body, { token: await mintToken({ sub, groups: [] }) });

describe('grants and tags stored in the shapes of earlier releases', () => {
  it('a grant row whose body is in AWS Grant shape lists, authorizes, stays idempotent by name, and retires', async () => {
    const keyId = await createKey();
    const keyArn = `arn:aws:kms:us-east-1:${ACCOUNT}:key/${keyId}`;
    const created = 1_767_225_600_123;
    const old = {
      GrantId: 'old0000000000000000000000000001',
      GrantToken: 'old-token-1',
      Name: 'from-an-old-release',
      KeyId: keyArn,
      GranteePrincipal: arnOf('alice'),
      RetiringPrincipal: arnOf('ops'),
      IssuingAccount: `arn:aws:iam::${ACCOUNT}:root`,
      Operations: ['Decrypt', 'GenerateDataKey'],
      Constraints: { EncryptionContextSubset: { purpose: 'old' } },
      CreationDate: created,
    };
    await runInDurableObject(keyStub(keyId), (_instance, state) => {
      state.storage.sql.exec(
        'INSERT INTO grants (grant_id, grantee, name, body) VALUES (?, ?, ?, ?)',
        old.GrantId,
        old.GranteePrincipal,
        old.Name,
        JSON.stringify(old),
      );
    });
    await evictDurableObject(keyStub(keyId));

    const { Grants } = await ok('ListGrants', { KeyId: keyId });
    const { GrantToken: _token, CreationDate: _date, ...listed } = old;
    expect(Grants).toEqual([{ ...listed, CreationDate: created / 1000 }]);

    // Its constraint and grantee still decide, as they did.
    expect((await as('alice', 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { purpose: 'old' } })).status).toBe(200);
    expect((await as('alice', 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { purpose: 'new' } })).body.__type).toBe('AccessDeniedException');
    // CreateGrant with the same name and terms is the same grant (idempotent by name across the shapes).
    const again = await ok('CreateGrant', {
      KeyId: keyId,
      GranteePrincipal: old.GranteePrincipal,
      RetiringPrincipal: old.RetiringPrincipal,
      Operations: old.Operations,
      Constraints: old.Constraints,
      Name: old.Name,
    });
    expect(again).toEqual({ GrantId: old.GrantId, GrantToken: old.GrantToken });
    expect((await as('ops', 'RetireGrant', { KeyId: keyId, GrantId: old.GrantId })).status).toBe(200);
    expect((await ok('ListGrants', { KeyId: keyId })).Grants).toEqual([]);
  });

  it('a retirable-grant index entry in AWS GrantListEntry shape lists as it did, beside one written now', async () => {
    const keyId = await createKey();
    const keyArn = `arn:aws:kms:us-east-1:${ACCOUNT}:key/${keyId}`;
    const retirer = arnOf('old-retirer');
    const oldEntry = {
      GrantId: '0000old0000000000000000000000002',
      KeyId: keyArn,
      GranteePrincipal: arnOf('alice'),
      RetiringPrincipal: retirer,
      IssuingAccount: `arn:aws:iam::${ACCOUNT}:root`,
      Operations: ['Decrypt'],
      Constraints: { EncryptionContextEquals: { a: 'b' } },
      CreationDate: 1_767_225_600.5,
    };
    const directory = env.DIRECTORY.get(env.DIRECTORY.idFromName(ACCOUNT));
    await runInDurableObject(directory, (_instance, state) => {
      state.storage.sql.exec(
        'INSERT INTO retirable_grants (grant_id, key_id, retiring_principal, entry) VALUES (?, ?, ?, ?)',
        oldEntry.GrantId,
        keyId,
        retirer,
        JSON.stringify(oldEntry),
      );
    });
    const fresh = await ok('CreateGrant', { KeyId: keyId, GranteePrincipal: arnOf('bob'), RetiringPrincipal: retirer, Operations: ['Encrypt'], Name: 'fresh' });

    const listed = await as('old-retirer', 'ListRetirableGrants', { RetiringPrincipal: retirer });
    expect(listed.status).toBe(200);
    expect(listed.body.Grants).toEqual([
      oldEntry,
      {
        GrantId: fresh.GrantId,
        KeyId: keyArn,
        Name: 'fresh',
        GranteePrincipal: arnOf('bob'),
        RetiringPrincipal: retirer,
        IssuingAccount: `arn:aws:iam::${ACCOUNT}:root`,
        Operations: ['Encrypt'],
        CreationDate: expect.any(Number),
      },
    ]);
    // The new entry keeps no token: only the key's object holds it.
    const stored = await runInDurableObject(directory, (_instance, state) =>
      state.storage.sql.exec<{ entry: string }>('SELECT entry FROM retirable_grants WHERE grant_id = ?', fresh.GrantId).one().entry,
    );
    expect(stored).not.toContain(fresh.GrantToken);
  });

  it('tags stored in AWS Tag shape list as they did, and change with the next TagResource', async () => {
    const keyId = await createKey({ Tags: [{ TagKey: 'team', TagValue: 'crypto' }] });
    await editStoredRecord(keyId, (record) => {
      record.tags = [
        { TagKey: 'team', TagValue: 'crypto' },
        { TagKey: 'cost', TagValue: '42' },
      ];
    });
    expect((await ok('ListResourceTags', { KeyId: keyId })).Tags).toEqual([
      { TagKey: 'cost', TagValue: '42' },
      { TagKey: 'team', TagValue: 'crypto' },
    ]);
    await ok('TagResource', { KeyId: keyId, Tags: [{ TagKey: 'team', TagValue: 'platform' }] });
    await ok('UntagResource', { KeyId: keyId, TagKeys: ['cost'] });
    await evictDurableObject(keyStub(keyId));
    expect((await ok('ListResourceTags', { KeyId: keyId })).Tags).toEqual([{ TagKey: 'team', TagValue: 'platform' }]);
    const stored = await runInDurableObject(keyStub(keyId), async (_instance, state) => (await state.storage.get<{ tags: unknown }>('key'))!.tags);
    expect(stored).toEqual([{ key: 'team', value: 'platform' }]);
  });
});
