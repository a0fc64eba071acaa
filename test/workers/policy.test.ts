import { describe, expect, it } from 'vitest';
import { b64, createKey, kms, mintToken, ok, refused } from './helpers';

const ACCOUNT = '111122223333';
const adminStatement = {
  Sid: 'Admins',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
  Action: 'kms:*',
  Resource: '*',
};
const policy = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: [adminStatement, ...statements] });

const userToken = (sub: string, groups = ['app-user']) => mintToken({ sub, groups });

async function as(token: string, operation: string, body: unknown) {
  return kms(operation, body, { token });
}

/** A browser user may unwrap only the data keys bound to their own identity. */
const perUserStatement = {
  Sid: 'Users use their own data keys',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/app-user` },
  Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
  Resource: '*',
  Condition: { StringEquals: { 'kms:EncryptionContext:user': '${jwt:sub}' } },
};

describe('key policies', () => {
  it('a new key has the default policy: account administrators only', async () => {
    const keyId = await createKey();
    const { Policy, PolicyName } = await ok('GetKeyPolicy', { KeyId: keyId });
    expect(PolicyName).toBe('default');
    expect(JSON.parse(Policy).Statement).toEqual([expect.objectContaining({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*' })]);
    expect(await ok('ListKeyPolicies', { KeyId: keyId })).toEqual({ PolicyNames: ['default'], Truncated: false });
    const response = await as(await userToken('alice'), 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { user: 'alice' } });
    expect(response.body.__type).toBe('AccessDeniedException');
    expect(response.status).toBe(403);
  });

  it('user A decrypts only data keys bound to A; B cannot use A’s, A cannot use B’s', async () => {
    const keyId = await createKey({ Policy: policy(perUserStatement) });
    const [alice, bob] = await Promise.all([userToken('alice'), userToken('bob')]);

    const aliceKey = await as(alice, 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { user: 'alice' } });
    expect(aliceKey.status).toBe(200);
    const aliceDecrypt = await as(alice, 'Decrypt', { CiphertextBlob: aliceKey.body.CiphertextBlob, EncryptionContext: { user: 'alice' } });
    expect(aliceDecrypt.body.Plaintext).toBe(aliceKey.body.Plaintext);

    const bobKey = await as(bob, 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { user: 'bob' } });
    expect(bobKey.status).toBe(200);

    // Each asks for the other's data key, naming the context it was bound to.
    expect((await as(alice, 'Decrypt', { CiphertextBlob: bobKey.body.CiphertextBlob, EncryptionContext: { user: 'bob' } })).body.__type).toBe('AccessDeniedException');
    expect((await as(bob, 'Decrypt', { CiphertextBlob: aliceKey.body.CiphertextBlob, EncryptionContext: { user: 'alice' } })).body.__type).toBe('AccessDeniedException');
    // Claiming one's own identity in the context does not open another's ciphertext either.
    expect((await as(bob, 'Decrypt', { CiphertextBlob: aliceKey.body.CiphertextBlob, EncryptionContext: { user: 'bob' } })).body.__type).toBe('InvalidCiphertextException');
    // Nor can A mint a data key bound to B, or one with no user at all.
    expect((await as(alice, 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { user: 'bob' } })).body.__type).toBe('AccessDeniedException');
    expect((await as(alice, 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' })).body.__type).toBe('AccessDeniedException');
    // Actions outside the statement stay denied.
    expect((await as(alice, 'Encrypt', { KeyId: keyId, Plaintext: b64(new Uint8Array(4)), EncryptionContext: { user: 'alice' } })).body.__type).toBe('AccessDeniedException');
    expect((await as(alice, 'DescribeKey', { KeyId: keyId })).body.__type).toBe('AccessDeniedException');
    // Without the role the same user is nobody.
    const stranger = await userToken('alice', []);
    expect((await as(stranger, 'Decrypt', { CiphertextBlob: aliceKey.body.CiphertextBlob, EncryptionContext: { user: 'alice' } })).body.__type).toBe('AccessDeniedException');
  });

  it('an explicit Deny beats any Allow', async () => {
    const keyId = await createKey({
      Policy: policy(perUserStatement, {
        Effect: 'Deny',
        Principal: { AWS: `arn:aws:sts::${ACCOUNT}:federated-user/alice` },
        Action: 'kms:Decrypt',
        Resource: '*',
      }),
    });
    const alice = await userToken('alice');
    const dataKey = await as(alice, 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { user: 'alice' } });
    expect(dataKey.status).toBe(200);
    expect((await as(alice, 'Decrypt', { CiphertextBlob: dataKey.body.CiphertextBlob, EncryptionContext: { user: 'alice' } })).body.__type).toBe('AccessDeniedException');
    // The deny names alice only; an administrator can still decrypt.
    await ok('Decrypt', { CiphertextBlob: dataKey.body.CiphertextBlob, EncryptionContext: { user: 'alice' } });
  });

  it('a Deny on the administrators themselves applies to them too', async () => {
    const keyId = await createKey({
      Policy: policy({ Effect: 'Deny', Principal: { AWS: ACCOUNT }, Action: 'kms:Encrypt', Resource: '*' }),
    });
    await refused('Encrypt', { KeyId: keyId, Plaintext: 'aGk=' }, 'AccessDeniedException');
    await ok('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_128' });
  });

  it('wildcard actions match by prefix, case-insensitively', async () => {
    const keyId = await createKey({
      Policy: policy({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/app-user` }, Action: 'KMS:generate*', Resource: '*' }),
    });
    const alice = await userToken('alice');
    expect((await as(alice, 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' })).status).toBe(200);
    expect((await as(alice, 'GenerateDataKeyWithoutPlaintext', { KeyId: keyId, KeySpec: 'AES_256' })).status).toBe(200);
    const { body } = await as(alice, 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' });
    expect((await as(alice, 'Decrypt', { CiphertextBlob: body.CiphertextBlob })).body.__type).toBe('AccessDeniedException');
  });

  it('denies by default a principal of another account, even one named by "*"', async () => {
    const keyId = await createKey({
      Policy: policy({
        Effect: 'Allow',
        Principal: '*',
        Action: 'kms:Encrypt',
        Resource: '*',
        Condition: { StringEquals: { 'kms:CallerAccount': ACCOUNT } },
      }),
    });
    const insider = await mintToken({ sub: 'carol' });
    const outsider = await mintToken({ sub: 'mallory', account: '999999999999', groups: ['kms-admin'] });
    expect((await as(insider, 'Encrypt', { KeyId: keyId, Plaintext: 'aGk=' })).status).toBe(200);
    const arn = `arn:aws:kms:us-east-1:${ACCOUNT}:key/${keyId}`;
    expect((await as(outsider, 'Encrypt', { KeyId: arn, Plaintext: 'aGk=' })).body.__type).toBe('AccessDeniedException');
    expect((await as(outsider, 'GetKeyPolicy', { KeyId: arn })).body.__type).toBe('AccessDeniedException');
    // By bare key id the outsider does not even find it: ids resolve in the caller's own account.
    expect((await as(outsider, 'Encrypt', { KeyId: keyId, Plaintext: 'aGk=' })).body.__type).toBe('NotFoundException');
  });

  it('refuses malformed policies with MalformedPolicyDocumentException', async () => {
    const keyId = await createKey();
    const bad: unknown[] = [
      'not json',
      '[]',
      { Statement: [adminStatement] },
      { Version: '2012-10-17' },
      { Version: '2012-10-17', Statement: [] },
      { Version: '2012-10-17', Statement: [adminStatement], Extra: 1 },
      { Version: '2012-10-17', Statement: [{ ...adminStatement, Effect: 'Maybe' }] },
      { Version: '2012-10-17', Statement: [{ ...adminStatement, Color: 'red' }] },
      { Version: '2012-10-17', Statement: [{ ...adminStatement, Action: 's3:GetObject' }] },
      { Version: '2012-10-17', Statement: [{ ...adminStatement, Principal: { Service: 'x' } }] },
      { Version: '2012-10-17', Statement: [{ ...adminStatement, Condition: { StringSortOf: { 'kms:CallerAccount': 'x' } } }] },
      { Version: '2012-10-17', Statement: [{ ...adminStatement, Condition: { StringEquals: { 'custom:key': 'x' } } }] },
      { Version: '2012-10-17', Statement: [{ ...adminStatement, NotAction: 'kms:Decrypt' }] },
      { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] },
    ];
    for (const document of bad) {
      const Policy = typeof document === 'string' ? document : JSON.stringify(document);
      await refused('PutKeyPolicy', { KeyId: keyId, Policy }, 'MalformedPolicyDocumentException');
    }
    await refused('CreateKey', { Policy: 'nope' }, 'MalformedPolicyDocumentException');
    await refused('PutKeyPolicy', { KeyId: keyId, Policy: 'x'.repeat(40_000) }, 'ValidationException');
  });

  it('refuses a policy that would lock the caller out, unless told to bypass the check', async () => {
    const keyId = await createKey();
    const lockout = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/app-user` }, Action: 'kms:*', Resource: '*' }],
    });
    await refused('PutKeyPolicy', { KeyId: keyId, Policy: lockout }, 'MalformedPolicyDocumentException');
    await refused('CreateKey', { Policy: lockout }, 'MalformedPolicyDocumentException');
    await ok('PutKeyPolicy', { KeyId: keyId, Policy: lockout, BypassPolicyLockoutSafetyCheck: true });
    await refused('GetKeyPolicy', { KeyId: keyId }, 'AccessDeniedException');
    // The app-user role now manages the key.
    const alice = await userToken('alice');
    expect((await as(alice, 'GetKeyPolicy', { KeyId: keyId })).body.Policy).toBe(lockout);
  });

  it('a policy change takes effect on the next request', async () => {
    const keyId = await createKey();
    const alice = await userToken('alice');
    const body = { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { user: 'alice' } };
    expect((await as(alice, 'GenerateDataKey', body)).status).toBe(403);
    await ok('PutKeyPolicy', { KeyId: keyId, Policy: policy(perUserStatement) });
    expect((await as(alice, 'GenerateDataKey', body)).status).toBe(200);
    await ok('PutKeyPolicy', { KeyId: keyId, Policy: policy() });
    expect((await as(alice, 'GenerateDataKey', body)).status).toBe(403);
  });
});

/** Defects found in an earlier review, each pinned by the request sequence that showed it. */
describe('review regressions', () => {
  const REVIEW_ACCOUNT = '111122223333';

  it('a policy naming an unknown condition key is malformed (a typo would fail open)', async () => {
    const keyId = await createKey();
    const Policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: REVIEW_ACCOUNT }, Action: 'kms:*', Resource: '*' },
        { Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*', Condition: { StringNotEquals: { 'kms:EncryptionContex:user': 'x' } } },
      ],
    });
    await refused('PutKeyPolicy', { KeyId: keyId, Policy }, 'MalformedPolicyDocumentException');
  });
});
