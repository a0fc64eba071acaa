import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { GRANTS_PER_KEY } from '../../worker/key-object/quotas';
import { asUser, createKey, keyStub, kms, mintToken, ok, refused } from './helpers';

const ACCOUNT = '111122223333';
const arnOf = (sub: string) => `arn:aws:sts::${ACCOUNT}:federated-user/${sub}`;
const token = (sub: string) => mintToken({ sub, groups: [] });
const as = async (sub: string, operation: string, body: unknown) => kms(operation, body, { token: await token(sub) });

/**
 * Writes `count` grants for `grantee` straight into the key's storage as one key-value entry
 * each, the layout earlier versions used (and still read), then restarts the object.
 */
async function seedStoredGrants(keyId: string, grantee: string, count: number): Promise<void> {
  const stub = keyStub(keyId);
  await runInDurableObject(stub, async (_instance, state) => {
    const now = Date.now();
    for (let start = 0; start < count; start += 128) {
      const batch: Record<string, unknown> = {};
      for (let i = start; i < Math.min(count, start + 128); i++) {
        const grantId = `seeded${String(i).padStart(8, '0')}`;
        batch[`grant:${grantId}`] = {
          GrantId: grantId,
          GrantToken: `token-${grantId}`,
          KeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/${keyId}`,
          GranteePrincipal: grantee,
          IssuingAccount: `arn:aws:iam::${ACCOUNT}:root`,
          Operations: ['Decrypt'],
          CreationDate: now,
        };
      }
      await state.storage.put(batch);
    }
  });
  await evictDurableObject(stub);
}

async function dataKey(keyId: string, context: Record<string, string>) {
  return ok('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context });
}

describe('grants', () => {
  it('a grant with an EncryptionContextSubset constraint allows only matching contexts', async () => {
    const keyId = await createKey();
    const grant = await ok('CreateGrant', {
      KeyId: keyId,
      GranteePrincipal: arnOf('alice'),
      Operations: ['Decrypt', 'GenerateDataKey'],
      Constraints: { EncryptionContextSubset: { tenant: 'acme' } },
    });
    expect(grant.GrantId).toMatch(/^[0-9a-f]{32}$/);
    expect(typeof grant.GrantToken).toBe('string');

    const mine = await dataKey(keyId, { tenant: 'acme', file: 'a.txt' });
    const theirs = await dataKey(keyId, { tenant: 'globex' });
    const decrypted = await as('alice', 'Decrypt', { CiphertextBlob: mine.CiphertextBlob, EncryptionContext: { tenant: 'acme', file: 'a.txt' } });
    expect(decrypted.body.Plaintext).toBe(mine.Plaintext);
    expect((await as('alice', 'Decrypt', { CiphertextBlob: theirs.CiphertextBlob, EncryptionContext: { tenant: 'globex' } })).body.__type).toBe('AccessDeniedException');
    expect((await as('alice', 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { tenant: 'acme' } })).status).toBe(200);
    expect((await as('alice', 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' })).body.__type).toBe('AccessDeniedException');
    // Operations outside the grant, and other principals, are still denied.
    expect((await as('alice', 'Encrypt', { KeyId: keyId, Plaintext: 'aGk=', EncryptionContext: { tenant: 'acme' } })).body.__type).toBe('AccessDeniedException');
    expect((await as('bob', 'Decrypt', { CiphertextBlob: mine.CiphertextBlob, EncryptionContext: { tenant: 'acme', file: 'a.txt' } })).body.__type).toBe('AccessDeniedException');
  });

  it('EncryptionContextEquals demands exactly that context', async () => {
    const keyId = await createKey();
    await ok('CreateGrant', { KeyId: keyId, GranteePrincipal: arnOf('alice'), Operations: ['Decrypt'], Constraints: { EncryptionContextEquals: { tenant: 'acme' } } });
    const exact = await dataKey(keyId, { tenant: 'acme' });
    const more = await dataKey(keyId, { tenant: 'acme', extra: '1' });
    expect((await as('alice', 'Decrypt', { CiphertextBlob: exact.CiphertextBlob, EncryptionContext: { tenant: 'acme' } })).status).toBe(200);
    expect((await as('alice', 'Decrypt', { CiphertextBlob: more.CiphertextBlob, EncryptionContext: { tenant: 'acme', extra: '1' } })).body.__type).toBe('AccessDeniedException');
  });

  it('retiring a grant takes effect at once, by token or by id', async () => {
    const keyId = await createKey();
    const blob = await dataKey(keyId, {});
    const grant = await ok('CreateGrant', { KeyId: keyId, GranteePrincipal: arnOf('alice'), RetiringPrincipal: arnOf('ops'), Operations: ['Decrypt'] });
    expect((await as('alice', 'Decrypt', { CiphertextBlob: blob.CiphertextBlob })).status).toBe(200);
    // Neither the grantee (without RetireGrant) nor a stranger may retire it.
    expect((await as('alice', 'RetireGrant', { GrantToken: grant.GrantToken })).body.__type).toBe('AccessDeniedException');
    expect((await as('mallory', 'RetireGrant', { KeyId: keyId, GrantId: grant.GrantId })).body.__type).toBe('AccessDeniedException');
    const listed = await as('ops', 'ListRetirableGrants', { RetiringPrincipal: arnOf('ops') });
    expect(listed.body.Grants).toContainEqual(expect.objectContaining({ GrantId: grant.GrantId, GranteePrincipal: arnOf('alice') }));
    expect((await as('ops', 'RetireGrant', { GrantToken: grant.GrantToken })).status).toBe(200);
    expect((await as('alice', 'Decrypt', { CiphertextBlob: blob.CiphertextBlob })).body.__type).toBe('AccessDeniedException');
    expect((await as('ops', 'ListRetirableGrants', { RetiringPrincipal: arnOf('ops') })).body.Grants).not.toContainEqual(expect.objectContaining({ GrantId: grant.GrantId }));
    expect((await as('ops', 'RetireGrant', { GrantToken: grant.GrantToken })).body.__type).toBe('NotFoundException');

    const second = await ok('CreateGrant', { KeyId: keyId, GranteePrincipal: arnOf('alice'), Operations: ['Decrypt', 'RetireGrant'] });
    expect((await as('alice', 'Decrypt', { CiphertextBlob: blob.CiphertextBlob })).status).toBe(200);
    expect((await as('alice', 'RetireGrant', { KeyId: keyId, GrantId: second.GrantId })).status).toBe(200);
    expect((await as('alice', 'Decrypt', { CiphertextBlob: blob.CiphertextBlob })).body.__type).toBe('AccessDeniedException');
  });

  it('revoking a grant takes effect at once; only the key policy may revoke', async () => {
    const keyId = await createKey();
    const blob = await dataKey(keyId, {});
    const grant = await ok('CreateGrant', { KeyId: keyId, GranteePrincipal: arnOf('alice'), Operations: ['Decrypt'] });
    expect((await as('alice', 'Decrypt', { CiphertextBlob: blob.CiphertextBlob })).status).toBe(200);
    expect((await as('alice', 'RevokeGrant', { KeyId: keyId, GrantId: grant.GrantId })).body.__type).toBe('AccessDeniedException');
    await ok('RevokeGrant', { KeyId: keyId, GrantId: grant.GrantId });
    expect((await as('alice', 'Decrypt', { CiphertextBlob: blob.CiphertextBlob })).body.__type).toBe('AccessDeniedException');
    await refused('RevokeGrant', { KeyId: keyId, GrantId: grant.GrantId }, 'NotFoundException');
  });

  it('an explicit Deny in the key policy overrides a grant', async () => {
    const keyId = await createKey();
    await ok('PutKeyPolicy', {
      KeyId: keyId,
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'kms:*', Resource: '*' },
          { Effect: 'Deny', Principal: { AWS: arnOf('alice') }, Action: 'kms:Decrypt', Resource: '*' },
        ],
      }),
    });
    const blob = await dataKey(keyId, {});
    await ok('CreateGrant', { KeyId: keyId, GranteePrincipal: arnOf('alice'), Operations: ['Decrypt'] });
    expect((await as('alice', 'Decrypt', { CiphertextBlob: blob.CiphertextBlob })).body.__type).toBe('AccessDeniedException');
  });

  it('lists grants with filters and pages', async () => {
    const keyId = await createKey();
    const ids = [];
    for (const sub of ['a', 'b', 'c']) {
      ids.push((await ok('CreateGrant', { KeyId: keyId, GranteePrincipal: arnOf(sub), Operations: ['Encrypt'] })).GrantId);
    }
    const first = await ok('ListGrants', { KeyId: keyId, Limit: 2 });
    expect(first.Grants).toHaveLength(2);
    expect(first.Truncated).toBe(true);
    const rest = await ok('ListGrants', { KeyId: keyId, Limit: 2, Marker: first.NextMarker });
    expect([...first.Grants, ...rest.Grants].map((g: { GrantId: string }) => g.GrantId).sort()).toEqual([...ids].sort());
    expect(rest.Grants[0]).toMatchObject({ KeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/${keyId}`, Operations: ['Encrypt'], IssuingAccount: `arn:aws:iam::${ACCOUNT}:root` });
    expect(rest.Grants[0]).not.toHaveProperty('GrantToken');
    const byGrantee = await ok('ListGrants', { KeyId: keyId, GranteePrincipal: arnOf('b') });
    expect(byGrantee.Grants).toHaveLength(1);
    expect((await as('a', 'ListGrants', { KeyId: keyId })).body.__type).toBe('AccessDeniedException');
  });

  it('is idempotent by Name, and validates its input', async () => {
    const keyId = await createKey();
    const request = { KeyId: keyId, GranteePrincipal: arnOf('alice'), Operations: ['Decrypt'], Name: 'nightly-job' };
    const first = await ok('CreateGrant', request);
    expect(await ok('CreateGrant', request)).toEqual(first);
    await refused('CreateGrant', { KeyId: keyId, GranteePrincipal: arnOf('a'), Operations: [] }, 'ValidationException');
    await refused('CreateGrant', { KeyId: keyId, GranteePrincipal: arnOf('a'), Operations: ['Dance'] }, 'ValidationException');
    const signing = await createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    await refused('CreateGrant', { KeyId: signing, GranteePrincipal: arnOf('a'), Operations: ['Sign'], Constraints: { EncryptionContextSubset: { a: 'b' } } }, 'ValidationException');
    await refused('RetireGrant', {}, 'ValidationException');
    await refused('RetireGrant', { GrantToken: 'not-a-token' }, 'NotFoundException');
  });

  it('refuses an empty constraint map, which a policy requiring a kms:GrantConstraintType would take for a constraint', async () => {
    const keyId = await createKey();
    await ok('PutKeyPolicy', {
      KeyId: keyId,
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'kms:*', Resource: '*' },
          {
            Effect: 'Allow',
            Principal: { AWS: arnOf('bob') },
            Action: 'kms:CreateGrant',
            Resource: '*',
            Condition: { StringEquals: { 'kms:GrantConstraintType': ['EncryptionContextEquals', 'EncryptionContextSubset'] } },
          },
        ],
      }),
    });
    const grant = (Constraints?: object) => ({ KeyId: keyId, GranteePrincipal: arnOf('carol'), Operations: ['Decrypt'], ...(Constraints && { Constraints }) });
    for (const empty of [{ EncryptionContextSubset: {} }, { EncryptionContextEquals: {} }]) {
      const response = await as('bob', 'CreateGrant', grant(empty));
      expect(response.body.__type, JSON.stringify(empty)).toBe('ValidationException');
      expect(response.status).toBe(400);
    }
    expect((await ok('ListGrants', { KeyId: keyId })).Grants).toEqual([]);
    // The policy still does its job: no constraint is denied, a real one is allowed.
    expect((await as('bob', 'CreateGrant', grant())).body.__type).toBe('AccessDeniedException');
    expect((await as('bob', 'CreateGrant', grant({ EncryptionContextSubset: { tenant: 'acme' } }))).status).toBe(200);
  });

  it(`holds at most ${GRANTS_PER_KEY} grants per key, as AWS KMS does (LimitExceededException)`, async () => {
    const keyId = await createKey();
    const named = { KeyId: keyId, GranteePrincipal: arnOf('alice'), Operations: ['Decrypt'], Name: 'nightly' };
    const kept = await ok('CreateGrant', named);
    await seedStoredGrants(keyId, arnOf('bulk'), GRANTS_PER_KEY - 2);
    const last = await ok('CreateGrant', { KeyId: keyId, GranteePrincipal: arnOf('bob'), Operations: ['Decrypt'] });

    const { status, body } = await refused('CreateGrant', { KeyId: keyId, GranteePrincipal: arnOf('carol'), Operations: ['Decrypt'] }, 'LimitExceededException');
    expect(status).toBe(400);
    expect(body.message).toBe(`Grants per key quota for this account in this region is ${GRANTS_PER_KEY}, current usage is ${GRANTS_PER_KEY}.`);
    // A retry of a named grant creates nothing, so the quota does not stand in its way.
    expect(await ok('CreateGrant', named)).toEqual(kept);
    // Grants still work at the quota, and retiring one makes room for another.
    const blob = await dataKey(keyId, {});
    expect((await as('bob', 'Decrypt', { CiphertextBlob: blob.CiphertextBlob })).status).toBe(200);
    await ok('RevokeGrant', { KeyId: keyId, GrantId: last.GrantId });
    await ok('CreateGrant', { KeyId: keyId, GranteePrincipal: arnOf('carol'), Operations: ['Decrypt'] });
    await refused('CreateGrant', { KeyId: keyId, GranteePrincipal: arnOf('dave'), Operations: ['Decrypt'] }, 'LimitExceededException');
  });

  it('grants stored by earlier versions, one key-value entry each, move into the grant table and keep working', async () => {
    const keyId = await createKey();
    await seedStoredGrants(keyId, arnOf('alice'), 3);
    const blob = await dataKey(keyId, {});
    expect((await as('alice', 'Decrypt', { CiphertextBlob: blob.CiphertextBlob })).status).toBe(200);
    const { Grants } = await ok('ListGrants', { KeyId: keyId });
    expect(Grants.map((grant: { GrantId: string }) => grant.GrantId)).toEqual(['seeded00000000', 'seeded00000001', 'seeded00000002']);
    await ok('RevokeGrant', { KeyId: keyId, GrantId: 'seeded00000001' });
    const left = await runInDurableObject(keyStub(keyId), async (_instance, state) => [...(await state.storage.list({ prefix: 'grant:' })).keys()]);
    expect(left).toEqual([]);
    await evictDurableObject(keyStub(keyId));
    expect((await ok('ListGrants', { KeyId: keyId })).Grants).toHaveLength(2);
  });

  it('a grantee holding CreateGrant may only pass on a narrower grant', async () => {
    const keyId = await createKey();
    await ok('CreateGrant', { KeyId: keyId, GranteePrincipal: arnOf('alice'), Operations: ['Decrypt', 'Encrypt', 'CreateGrant'] });
    const narrower = await as('alice', 'CreateGrant', { KeyId: keyId, GranteePrincipal: arnOf('bob'), Operations: ['Decrypt'] });
    expect(narrower.status).toBe(200);
    const wider = await as('alice', 'CreateGrant', { KeyId: keyId, GranteePrincipal: arnOf('bob'), Operations: ['Decrypt', 'ReEncryptFrom'] });
    expect(wider.body.__type).toBe('AccessDeniedException');
  });

  it('a key pending deletion takes no new grants', async () => {
    const keyId = await createKey();
    await ok('CreateGrant', { KeyId: keyId, GranteePrincipal: arnOf('alice'), RetiringPrincipal: arnOf('ops2'), Operations: ['Decrypt'] });
    await ok('ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 });
    await refused('CreateGrant', { KeyId: keyId, GranteePrincipal: arnOf('x'), Operations: ['Decrypt'] }, 'KMSInvalidStateException');
  });
});

/** Defects found in an earlier review, each pinned by the request sequence that showed it. */
describe('review regressions', () => {
  const REVIEW_ACCOUNT = '111122223333';

  it('grant principals are exact ARNs, never patterns', async () => {
    const keyId = await createKey();
    for (const GranteePrincipal of ['*', `arn:aws:sts::${REVIEW_ACCOUNT}:federated-user/*`, 'mall*', `arn:aws:iam::${REVIEW_ACCOUNT}:role/a?c`]) {
      await refused('CreateGrant', { KeyId: keyId, GranteePrincipal, Operations: ['Decrypt'] }, 'ValidationException');
    }
    // A role grantee reaches every identity holding that role, and nobody else.
    await ok('CreateGrant', { KeyId: keyId, GranteePrincipal: `arn:aws:iam::${REVIEW_ACCOUNT}:role/batch`, Operations: ['GenerateDataKey'] });
    expect((await asUser('worker-1', 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' }, ['batch'])).status).toBe(200);
    expect((await asUser('worker-2', 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' }, ['batchy'])).body.__type).toBe('AccessDeniedException');
  });
});
