import { describe, expect, it } from 'vitest';
import { asUser, createKey, kms, mintToken, ok, refused } from './helpers';

const aliasName = () => `alias/test-${crypto.randomUUID()}`;

describe('aliases', () => {
  it('creates, resolves, re-points and deletes an alias', async () => {
    const [first, second] = await Promise.all([createKey(), createKey()]);
    const alias = aliasName();
    await ok('CreateAlias', { AliasName: alias, TargetKeyId: first });
    expect((await ok('DescribeKey', { KeyId: alias })).KeyMetadata.KeyId).toBe(first);
    expect((await ok('DescribeKey', { KeyId: `arn:aws:kms:us-east-1:111122223333:${alias}` })).KeyMetadata.KeyId).toBe(first);

    const listed = await ok('ListAliases', { KeyId: first });
    expect(listed.Aliases).toEqual([
      {
        AliasName: alias,
        AliasArn: `arn:aws:kms:us-east-1:111122223333:${alias}`,
        TargetKeyId: first,
        CreationDate: expect.any(Number),
        LastUpdatedDate: expect.any(Number),
      },
    ]);

    await ok('UpdateAlias', { AliasName: alias, TargetKeyId: `arn:aws:kms:us-east-1:111122223333:key/${second}` });
    expect((await ok('DescribeKey', { KeyId: alias })).KeyMetadata.KeyId).toBe(second);
    expect((await ok('ListAliases', { KeyId: first })).Aliases).toEqual([]);

    await ok('DeleteAlias', { AliasName: alias });
    await refused('DescribeKey', { KeyId: alias }, 'NotFoundException');
    await refused('DeleteAlias', { AliasName: alias }, 'NotFoundException');
    await refused('UpdateAlias', { AliasName: alias, TargetKeyId: first }, 'NotFoundException');
  });

  it('refuses duplicates, bad names, reserved names, alias targets and unknown keys', async () => {
    const keyId = await createKey();
    const alias = aliasName();
    await ok('CreateAlias', { AliasName: alias, TargetKeyId: keyId });
    await refused('CreateAlias', { AliasName: alias, TargetKeyId: keyId }, 'AlreadyExistsException');
    // AWS KMS's answers (aws-answers.test.ts checks their messages).
    await refused('CreateAlias', { AliasName: 'no-prefix', TargetKeyId: keyId }, 'ValidationException');
    await refused('CreateAlias', { AliasName: 'alias/has space', TargetKeyId: keyId }, 'ValidationException');
    await refused('CreateAlias', { AliasName: 'alias/aws/s3', TargetKeyId: keyId }, 'NotAuthorizedException');
    await refused('CreateAlias', { AliasName: aliasName(), TargetKeyId: alias }, 'ValidationException');
    await refused('CreateAlias', { AliasName: aliasName(), TargetKeyId: crypto.randomUUID() }, 'NotFoundException');
  });

  it('refuses an alias for a key pending deletion', async () => {
    const keyId = await createKey();
    await ok('ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 });
    await refused('CreateAlias', { AliasName: aliasName(), TargetKeyId: keyId }, 'KMSInvalidStateException');
  });

  it('pages through aliases', async () => {
    const keyId = await createKey();
    const names = Array.from({ length: 5 }, aliasName);
    for (const name of names) await ok('CreateAlias', { AliasName: name, TargetKeyId: keyId });
    const seen: string[] = [];
    let marker: string | undefined;
    do {
      const page = await ok('ListAliases', { KeyId: keyId, Limit: 2, ...(marker && { Marker: marker }) });
      expect(page.Aliases.length).toBeLessThanOrEqual(2);
      seen.push(...page.Aliases.map((a: { AliasName: string }) => a.AliasName));
      marker = page.NextMarker;
    } while (marker);
    expect(seen).toEqual([...names].sort());
    const all = await ok('ListAliases', { Limit: 1000 });
    for (const name of names) expect(all.Aliases.map((a: { AliasName: string }) => a.AliasName)).toContain(name);
  });
});

describe('who may name an alias', () => {
  // AWS KMS needs the alias action on the alias (identity policy) and on every key involved (key
  // policy). Without an identity policy that allows it on the alias ARN, a user may name no alias.
  const ACCOUNT = '111122223333';
  const userArn = (sub: string) => `arn:aws:sts::${ACCOUNT}:federated-user/${sub}`;
  const aliasArnOf = (alias: string) => `arn:aws:kms:us-east-1:${ACCOUNT}:${alias}`;
  const aliasActions = ['kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias', 'kms:DescribeKey'];

  /** A key whose policy lets `sub` (an ordinary user, not an administrator) use it in aliases. */
  const keyFor = (sub: string) =>
    createKey({
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
          { Effect: 'Allow', Principal: { AWS: userArn(sub) }, Action: aliasActions, Resource: '*' },
        ],
      }),
    });
  const userToken = (sub: string) => mintToken({ sub, groups: ['app-user'] });
  const target = async (alias: string) => (await ok('DescribeKey', { KeyId: alias })).KeyMetadata.KeyId as string;

  async function denied(token: string, operation: string, body: Record<string, string>) {
    const response = await kms(operation, body, { token });
    expect(response.body.__type, `${operation} ${JSON.stringify(response.body)}`).toBe('AccessDeniedException');
    expect(response.status).toBe(403);
    return response.body.message as string;
  }

  it('a user allowed kms:CreateAlias on their own key cannot claim an unused name with it', async () => {
    const carol = await userToken('carol');
    const own = await keyFor('carol');
    const payments = `alias/payments-${crypto.randomUUID()}`;
    expect(await denied(carol, 'CreateAlias', { AliasName: payments, TargetKeyId: own })).toBe(
      `User: ${userArn('carol')} is not authorized to perform: kms:CreateAlias on resource: ${aliasArnOf(payments)} because no identity-based policy allows the kms:CreateAlias action`,
    );
    await refused('DescribeKey', { KeyId: payments }, 'NotFoundException');
    // The refusal is in the account's trail, as a denial.
    const trail = await ok('ListAuditRecords', { Principal: userArn('carol'), Operation: 'kms:CreateAlias', Outcome: 'Denied', Limit: 1000 });
    expect(trail.Records).not.toEqual([]);
  });

  // An administrator's alias, on a key carol may also use: still not carol's to re-point or delete.
  it('nor re-point an existing alias to their key, even one whose current key allows it', async () => {
    const carol = await userToken('carol');
    const [own, shared] = await Promise.all([keyFor('carol'), keyFor('carol')]);
    const payments = `alias/payments-${crypto.randomUUID()}`;
    await ok('CreateAlias', { AliasName: payments, TargetKeyId: shared });
    expect(await denied(carol, 'UpdateAlias', { AliasName: payments, TargetKeyId: own })).toBe(
      `User: ${userArn('carol')} is not authorized to perform: kms:UpdateAlias on resource: ${aliasArnOf(payments)} because no identity-based policy allows the kms:UpdateAlias action`,
    );
    expect(await target(payments)).toBe(shared);
  });

  it('nor delete an alias someone else made', async () => {
    const carol = await userToken('carol');
    const shared = await keyFor('carol');
    const payments = `alias/payments-${crypto.randomUUID()}`;
    await ok('CreateAlias', { AliasName: payments, TargetKeyId: shared });
    expect(await denied(carol, 'DeleteAlias', { AliasName: payments })).toBe(
      `User: ${userArn('carol')} is not authorized to perform: kms:DeleteAlias on resource: ${aliasArnOf(payments)} because no identity-based policy allows the kms:DeleteAlias action`,
    );
    expect(await target(payments)).toBe(shared);
  });

  it('an account administrator may, on the same keys', async () => {
    const [own, shared] = await Promise.all([keyFor('carol'), keyFor('carol')]);
    const payments = `alias/payments-${crypto.randomUUID()}`;
    const admin = await mintToken({ sub: 'root-user', groups: ['kms-admin'] });
    for (const token of [undefined, admin]) {
      const as = token === undefined ? {} : { token };
      expect((await kms('CreateAlias', { AliasName: payments, TargetKeyId: shared }, as)).status).toBe(200);
      expect((await kms('UpdateAlias', { AliasName: payments, TargetKeyId: own }, as)).status).toBe(200);
      expect(await target(payments)).toBe(own);
      expect((await kms('DeleteAlias', { AliasName: payments }, as)).status).toBe(200);
      await refused('DescribeKey', { KeyId: payments }, 'NotFoundException');
    }
  });

  it('a role policy on alias/own-${jwt:sub} lets each user manage only their own alias', async () => {
    const role = `alias-owners-${crypto.randomUUID()}`;
    await ok('PutRolePolicy', {
      RoleName: role,
      PolicyName: 'own-alias',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias'], Resource: 'arn:aws:kms:*:*:alias/own-${jwt:sub}' }],
      }),
    });
    const sub = `dana-${crypto.randomUUID()}`;
    const dana = await mintToken({ sub, groups: [role] });
    const [first, second] = await Promise.all([keyFor(sub), keyFor(sub)]);
    const own = `alias/own-${sub}`;
    expect((await kms('CreateAlias', { AliasName: own, TargetKeyId: first }, { token: dana })).status).toBe(200);
    expect((await kms('UpdateAlias', { AliasName: own, TargetKeyId: second }, { token: dana })).status).toBe(200);
    expect(await target(own)).toBe(second);
    for (const other of [`alias/own-${sub}2`, `alias/own-${sub}/x`, 'alias/own-bob', `alias/payments-${crypto.randomUUID()}`]) {
      await denied(dana, 'CreateAlias', { AliasName: other, TargetKeyId: first });
    }
    // Without the role, the same user names nothing.
    await denied(await mintToken({ sub, groups: [] }), 'DeleteAlias', { AliasName: own });
    expect((await kms('DeleteAlias', { AliasName: own }, { token: dana })).status).toBe(200);
  });
});

/** Defects found in an earlier review, each pinned by the request sequence that showed it. */
describe('review regressions', () => {
  const REVIEW_ACCOUNT = '111122223333';

  it('DeleteAlias needs kms:DeleteAlias, not DescribeKey', async () => {
    const keyId = await createKey();
    const alias = `alias/review-${crypto.randomUUID()}`;
    await ok('CreateAlias', { AliasName: alias, TargetKeyId: keyId });
    await ok('PutKeyPolicy', {
      KeyId: keyId,
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: REVIEW_ACCOUNT }, Action: 'kms:*', Resource: '*' },
          { Effect: 'Allow', Principal: { AWS: `arn:aws:sts::${REVIEW_ACCOUNT}:federated-user/reader` }, Action: 'kms:DescribeKey', Resource: '*' },
        ],
      }),
    });
    expect((await asUser('reader', 'DescribeKey', { KeyId: keyId })).status).toBe(200);
    expect((await asUser('reader', 'DeleteAlias', { AliasName: alias })).body.__type).toBe('AccessDeniedException');
    await ok('DescribeKey', { KeyId: alias });
  });
});
