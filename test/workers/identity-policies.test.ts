import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { b64, createKey, kms, mintToken, ok, refused, utf8 } from './helpers';

/**
 * The evaluation table of AWS KMS (worker/policy/access.ts), through the real
 * Worker and the keys' own Durable Objects: key policies and identity
 * policies together, with grants, NotAction/NotResource and conditions.
 */
const ACCOUNT = '111122223333';
const userArn = (sub: string) => `arn:aws:sts::${ACCOUNT}:federated-user/${sub}`;
const keyArn = (keyId: string) => `arn:aws:kms:us-east-1:${ACCOUNT}:key/${keyId}`;
const unique = (prefix: string) => `${prefix}-${crypto.randomUUID().slice(0, 8)}`;

interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}
const doc = (...Statement: Statement[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const rootStatement: Statement = { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' };

/** A fresh user, holding a fresh role, with these identity policies on the user (and none on the role unless given). */
async function user(policies: { user?: Statement[][]; role?: Statement[][]; claims?: Record<string, unknown> } = {}) {
  const sub = unique('user');
  const role = unique('role');
  for (const [index, statements] of (policies.user ?? []).entries()) {
    await ok('PutUserPolicy', { UserName: sub, PolicyName: `p${index}`, PolicyDocument: doc(...statements) });
  }
  for (const [index, statements] of (policies.role ?? []).entries()) {
    await ok('PutRolePolicy', { RoleName: role, PolicyName: `p${index}`, PolicyDocument: doc(...statements) });
  }
  const token = await mintToken({ sub, groups: [role], ...policies.claims });
  return { sub, role, token, arn: userArn(sub) };
}

const encrypt = (token: string, KeyId: string, EncryptionContext?: Record<string, string>) =>
  kms('Encrypt', { KeyId, Plaintext: b64(utf8('secret')), ...(EncryptionContext && { EncryptionContext }) }, { token });

async function deniedMessage(response: Promise<{ status: number; body: Record<string, any> }>): Promise<string> {
  const { status, body } = await response;
  expect(body.__type, JSON.stringify(body)).toBe('AccessDeniedException');
  expect(status).toBe(403);
  return body.message as string;
}

const allowed = async (response: Promise<{ status: number; body: Record<string, any> }>) => {
  const { status, body } = await response;
  expect(body, JSON.stringify(body)).not.toHaveProperty('__type');
  expect(status).toBe(200);
};

describe('key policy and identity policies together', () => {
  it('a key policy that names the user allows on its own, without any identity policy', async () => {
    const alice = await user();
    const keyId = await createKey({ Policy: doc(rootStatement, { Effect: 'Allow', Principal: { AWS: alice.arn }, Action: 'kms:Encrypt', Resource: '*' }) });
    await allowed(encrypt(alice.token, keyId));
  });

  it('a key policy that names a role the user holds allows on its own', async () => {
    const alice = await user();
    const keyId = await createKey({
      Policy: doc(rootStatement, { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/${alice.role}` }, Action: 'kms:Encrypt', Resource: '*' }),
    });
    await allowed(encrypt(alice.token, keyId));
  });

  it('a key policy that delegates to the account allows when an identity policy allows, and only then', async () => {
    const keyId = await createKey();
    const withPolicy = await user({ user: [[{ Effect: 'Allow', Action: 'kms:Encrypt', Resource: keyArn(keyId) }]] });
    const viaRole = await user({ role: [[{ Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: 'arn:aws:kms:*:*:key/*' }]] });
    const without = await user();
    await allowed(encrypt(withPolicy.token, keyId));
    await allowed(encrypt(viaRole.token, keyId));
    expect(await deniedMessage(encrypt(without.token, keyId))).toBe(
      `User: ${without.arn} is not authorized to perform: kms:Encrypt on resource: ${keyArn(keyId)} because no identity-based policy allows the kms:Encrypt action`,
    );
    // The identity policy allowed Encrypt only.
    expect(await deniedMessage(kms('DescribeKey', { KeyId: keyId }, { token: withPolicy.token }))).toContain(
      'because no identity-based policy allows the kms:DescribeKey action',
    );
  });

  it('an identity policy alone allows nothing on a key whose policy does not delegate to the account', async () => {
    const alice = await user({ user: [[{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }]] });
    const other = await user();
    const keyId = await createKey({
      Policy: doc({ Effect: 'Allow', Principal: { AWS: other.arn }, Action: 'kms:*', Resource: '*' }),
      BypassPolicyLockoutSafetyCheck: true,
    });
    expect(await deniedMessage(encrypt(alice.token, keyId))).toBe(
      `User: ${alice.arn} is not authorized to perform: kms:Encrypt on resource: ${keyArn(keyId)} because no resource-based policy allows the kms:Encrypt action`,
    );
  });

  it('an explicit Deny in an identity policy beats an Allow in the key policy that names the user', async () => {
    const alice = await user({ role: [[{ Effect: 'Deny', Action: 'kms:Encrypt', Resource: '*' }]] });
    const keyId = await createKey({ Policy: doc(rootStatement, { Effect: 'Allow', Principal: { AWS: alice.arn }, Action: 'kms:*', Resource: '*' }) });
    expect(await deniedMessage(encrypt(alice.token, keyId))).toBe(
      `User: ${alice.arn} is not authorized to perform: kms:Encrypt on resource: ${keyArn(keyId)} with an explicit deny in an identity-based policy`,
    );
    await allowed(kms('DescribeKey', { KeyId: keyId }, { token: alice.token }));
  });

  it('an explicit Deny in the key policy beats an Allow in an identity policy', async () => {
    const alice = await user({ user: [[{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }]] });
    const keyId = await createKey({ Policy: doc(rootStatement, { Effect: 'Deny', Principal: { AWS: alice.arn }, Action: 'kms:Encrypt', Resource: '*' }) });
    expect(await deniedMessage(encrypt(alice.token, keyId))).toBe(
      `User: ${alice.arn} is not authorized to perform: kms:Encrypt on resource: ${keyArn(keyId)} with an explicit deny in a resource-based policy`,
    );
    await allowed(kms('DescribeKey', { KeyId: keyId }, { token: alice.token }));
  });

  it('a grant allows where the policies are silent, and an identity policy Deny overrides it', async () => {
    const keyId = await createKey();
    const grantee = await user();
    const denied = await user({ user: [[{ Effect: 'Deny', Action: 'kms:Encrypt', Resource: keyArn(keyId) }]] });
    for (const who of [grantee, denied]) await ok('CreateGrant', { KeyId: keyId, GranteePrincipal: who.arn, Operations: ['Encrypt'] });
    await allowed(encrypt(grantee.token, keyId));
    expect(await deniedMessage(encrypt(denied.token, keyId))).toContain('with an explicit deny in an identity-based policy');
    // The grant gives Encrypt only.
    expect(await deniedMessage(kms('DescribeKey', { KeyId: keyId }, { token: grantee.token }))).toContain('because no identity-based policy allows');
  });

  it('NotAction and NotResource in identity policies', async () => {
    const [first, second] = await Promise.all([createKey(), createKey()]);
    const alice = await user({
      user: [
        [{ Effect: 'Allow', NotAction: ['kms:Decrypt', 'kms:ScheduleKeyDeletion'], Resource: keyArn(first) }],
        [{ Effect: 'Allow', Action: 'kms:Encrypt', NotResource: keyArn(first) }],
      ],
    });
    const encrypted = await encrypt(alice.token, first);
    expect(encrypted.status).toBe(200);
    await allowed(kms('DescribeKey', { KeyId: first }, { token: alice.token }));
    expect(await deniedMessage(kms('Decrypt', { CiphertextBlob: encrypted.body.CiphertextBlob }, { token: alice.token }))).toContain('kms:Decrypt');
    await allowed(encrypt(alice.token, second));
    await deniedMessage(kms('DescribeKey', { KeyId: second }, { token: alice.token }));
    // A Deny with NotResource: everything but the first key is off limits, even where an Allow says otherwise.
    const bob = await user({
      user: [[{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }], [{ Effect: 'Deny', Action: 'kms:*', NotResource: keyArn(first) }]],
    });
    await allowed(encrypt(bob.token, first));
    expect(await deniedMessage(encrypt(bob.token, second))).toContain('explicit deny in an identity-based policy');
  });

  it('conditions on the encryption context and on JWT claims, with policy variables', async () => {
    const keyId = await createKey();
    const tenantScoped: Statement = {
      Effect: 'Allow',
      Action: 'kms:Encrypt',
      Resource: '*',
      Condition: { StringEquals: { 'kms:EncryptionContext:tenant': '${jwt:sub}', 'jwt:team': 'blue' } },
    };
    const blue = await user({ role: [[tenantScoped]], claims: { team: 'blue' } });
    const red = await user({ role: [[tenantScoped]], claims: { team: 'red' } });
    await allowed(encrypt(blue.token, keyId, { tenant: blue.sub }));
    await deniedMessage(encrypt(blue.token, keyId, { tenant: red.sub }));
    await deniedMessage(encrypt(blue.token, keyId));
    await deniedMessage(encrypt(red.token, keyId, { tenant: red.sub }));
  });

  it('aws:PrincipalTag from the token, kms:RequestAlias, kms:ResourceAliases and edgekms:Origin', async () => {
    const keyId = await createKey();
    const alias = `alias/${unique('team')}`;
    await ok('CreateAlias', { AliasName: alias, TargetKeyId: keyId });
    const tagged = await user({
      user: [[{ Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/department': 'payments' } } }]],
      claims: { 'https://aws.amazon.com/tags': { principal_tags: { department: ['payments'] } } },
    });
    await allowed(encrypt(tagged.token, keyId));
    const viaAlias = await user({ user: [[{ Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*', Condition: { StringEquals: { 'kms:RequestAlias': alias } } }]] });
    await allowed(encrypt(viaAlias.token, alias));
    await deniedMessage(encrypt(viaAlias.token, keyId));
    const byAliases = await user({
      user: [[{ Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*', Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': alias } } }]],
    });
    await allowed(encrypt(byAliases.token, keyId));
    await deniedMessage(encrypt(byAliases.token, await createKey()));

    const fromApp = await user({
      user: [[{ Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*', Condition: { StringEquals: { 'edgekms:Origin': 'https://app.example' } } }]],
    });
    const withOrigin = async (origin: string | undefined) =>
      (
        await SELF.fetch('https://kms.test/v1/Encrypt', {
          method: 'POST',
          headers: { authorization: `Bearer ${fromApp.token}`, 'content-type': 'application/json', ...(origin && { origin }) },
          body: JSON.stringify({ KeyId: keyId, Plaintext: b64(utf8('x')) }),
        })
      ).status;
    expect(await withOrigin('https://app.example')).toBe(200);
    expect(await withOrigin('https://evil.example')).toBe(403);
    expect(await withOrigin(undefined)).toBe(403);
  });
});

describe('account-level actions and aliases', () => {
  it('a non-administrator with a role policy may CreateKey and CreateAlias on alias/demo-<self> only, and lists nothing', async () => {
    const alice = await user({
      role: [
        [
          { Effect: 'Allow', Action: 'kms:CreateKey', Resource: '*' },
          { Effect: 'Allow', Action: ['kms:CreateAlias', 'kms:UpdateAlias'], Resource: 'arn:aws:kms:*:*:alias/demo-${jwt:sub}' },
        ],
      ],
    });
    const created = await kms(
      'CreateKey',
      { Policy: doc({ Effect: 'Allow', Principal: { AWS: alice.arn }, Action: 'kms:*', Resource: '*' }) },
      { token: alice.token },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const keyId = created.body.KeyMetadata.KeyId as string;
    await allowed(kms('CreateAlias', { AliasName: `alias/demo-${alice.sub}`, TargetKeyId: keyId }, { token: alice.token }));
    for (const other of [`alias/demo-${alice.sub}x`, 'alias/demo-bob', `alias/${alice.sub}`, 'alias/payments']) {
      expect(await deniedMessage(kms('CreateAlias', { AliasName: other, TargetKeyId: keyId }, { token: alice.token }))).toBe(
        `User: ${alice.arn} is not authorized to perform: kms:CreateAlias on resource: arn:aws:kms:us-east-1:${ACCOUNT}:${other} because no identity-based policy allows the kms:CreateAlias action`,
      );
    }
    for (const operation of ['ListKeys', 'ListAliases', 'GenerateRandom']) {
      const body = operation === 'GenerateRandom' ? { NumberOfBytes: 8 } : {};
      expect(await deniedMessage(kms(operation, body, { token: alice.token }))).toBe(
        `User: ${alice.arn} is not authorized to perform: kms:${operation} on resource: * because no identity-based policy allows the kms:${operation} action`,
      );
    }
    // Without the role's policy there is no CreateKey either.
    const plain = await user();
    expect(await deniedMessage(kms('CreateKey', {}, { token: plain.token }))).toBe(
      `User: ${plain.arn} is not authorized to perform: kms:CreateKey on resource: * because no identity-based policy allows the kms:CreateKey action`,
    );
  });

  it('an identity policy may give ListKeys; an administrator needs none', async () => {
    const lister = await user({ user: [[{ Effect: 'Allow', Action: ['kms:ListKeys', 'kms:ListAliases'], Resource: '*' }]] });
    await allowed(kms('ListKeys', {}, { token: lister.token }));
    await allowed(kms('ListAliases', {}, { token: lister.token }));
    await allowed(kms('ListKeys', {}, { token: await mintToken({ sub: unique('admin'), groups: ['kms-admin'] }) }));
  });

  it('an administrator is still stopped by an explicit Deny in a key policy', async () => {
    const keyId = await createKey({ Policy: doc(rootStatement, { Effect: 'Deny', Principal: '*', Action: 'kms:Encrypt', Resource: '*' }) });
    await refused('Encrypt', { KeyId: keyId, Plaintext: b64(utf8('x')) }, 'AccessDeniedException');
    await ok('DescribeKey', { KeyId: keyId });
  });
});

describe('PutKeyPolicy lockout safety check with identity policies', () => {
  it('a policy naming only the account passes for a caller whose identity policy allows PutKeyPolicy, and fails for one without', async () => {
    const withIdentity = await user({ user: [[{ Effect: 'Allow', Action: 'kms:PutKeyPolicy', Resource: '*' }]] });
    const namedOnly = await user();
    const keyId = await createKey({
      Policy: doc(rootStatement, { Effect: 'Allow', Principal: { AWS: namedOnly.arn }, Action: 'kms:PutKeyPolicy', Resource: '*' }),
    });
    const rootOnly = doc(rootStatement);
    const refusal = await kms('PutKeyPolicy', { KeyId: keyId, Policy: rootOnly }, { token: namedOnly.token });
    expect(refusal.body).toMatchObject({
      __type: 'MalformedPolicyDocumentException',
      message: 'The new key policy will not allow you to update the key policy in the future.',
    });
    await allowed(kms('PutKeyPolicy', { KeyId: keyId, Policy: rootOnly }, { token: withIdentity.token }));
  });
});

describe('managing identity policies', () => {
  it('Put, Get, List and Delete for users and roles, with IAM shapes; changes apply to the next request', async () => {
    const keyId = await createKey();
    const sub = unique('managed');
    const role = unique('managed-role');
    const token = await mintToken({ sub, groups: [role] });
    const policy = doc({ Sid: 'EncryptOnly', Effect: 'Allow', Action: 'kms:Encrypt', Resource: keyArn(keyId) });
    await deniedMessage(encrypt(token, keyId));

    expect(await ok('PutUserPolicy', { UserName: sub, PolicyName: 'encrypt', PolicyDocument: policy })).toEqual({});
    await allowed(encrypt(token, keyId));
    expect(await ok('GetUserPolicy', { UserName: sub, PolicyName: 'encrypt' })).toEqual({ UserName: sub, PolicyName: 'encrypt', PolicyDocument: policy });
    expect(await ok('ListUserPolicies', { UserName: sub })).toEqual({ PolicyNames: ['encrypt'], IsTruncated: false });
    await ok('DeleteUserPolicy', { UserName: sub, PolicyName: 'encrypt' });
    await deniedMessage(encrypt(token, keyId));
    await refused('GetUserPolicy', { UserName: sub, PolicyName: 'encrypt' }, 'NotFoundException');
    await refused('DeleteUserPolicy', { UserName: sub, PolicyName: 'encrypt' }, 'NotFoundException');

    for (const name of ['b', 'a', 'c']) await ok('PutRolePolicy', { RoleName: role, PolicyName: name, PolicyDocument: policy });
    await allowed(encrypt(token, keyId));
    const first = await ok('ListRolePolicies', { RoleName: role, MaxItems: 2 });
    expect(first).toMatchObject({ PolicyNames: ['a', 'b'], IsTruncated: true, Marker: expect.any(String) });
    expect(await ok('ListRolePolicies', { RoleName: role, Marker: first.Marker })).toEqual({ PolicyNames: ['c'], IsTruncated: false });
    expect(await ok('GetRolePolicy', { RoleName: role, PolicyName: 'a' })).toEqual({ RoleName: role, PolicyName: 'a', PolicyDocument: policy });
    for (const name of ['a', 'b', 'c']) await ok('DeleteRolePolicy', { RoleName: role, PolicyName: name });
    await deniedMessage(encrypt(token, keyId));
  });

  it('refuses malformed documents: a Principal, a non-kms action, an unknown condition key, bad JSON', async () => {
    const name = unique('bad');
    for (const document of [
      doc({ Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*' }),
      doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }),
      doc({ Effect: 'Allow', Action: 'kms:*', Resource: '*', Condition: { StringEquals: { 'kms:EncryptionContxt': 'x' } } }),
      doc({ Effect: 'Allow', Action: 'kms:*' }),
      '{"Version":"2012-10-17","Statement":',
    ]) {
      await refused('PutUserPolicy', { UserName: name, PolicyName: 'p', PolicyDocument: document }, 'MalformedPolicyDocumentException');
    }
    await refused('PutRolePolicy', { RoleName: 'has space', PolicyName: 'p', PolicyDocument: doc(rootStatement) }, 'ValidationException');
    await refused('GetUserPolicy', { UserName: name }, 'ValidationException');
  });

  it('only administrators manage identity policies, whatever their own policies say', async () => {
    const alice = await user({ user: [[{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }]] });
    for (const [operation, body] of [
      ['PutUserPolicy', { UserName: alice.sub, PolicyName: 'more', PolicyDocument: doc({ Effect: 'Allow', Action: 'kms:*', Resource: '*' }) }],
      ['GetUserPolicy', { UserName: alice.sub, PolicyName: 'p0' }],
      ['ListRolePolicies', { RoleName: alice.role }],
      ['DeleteUserPolicy', { UserName: alice.sub, PolicyName: 'p0' }],
    ] as const) {
      expect(await deniedMessage(kms(operation, body, { token: alice.token }))).toContain(`is not authorized to perform: iam:${operation}`);
    }
    expect(await ok('ListUserPolicies', { UserName: alice.sub })).toEqual({ PolicyNames: ['p0'], IsTruncated: false });
  });
});
