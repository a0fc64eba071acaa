import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { b64, createKey, kms, mintToken, ok, refused, utf8 } from './helpers';

/** Defects found in review, each pinned by the request sequence that showed it. */
const ACCOUNT = '111122223333';
const as = async (sub: string, operation: string, body: unknown, groups: string[] = []) =>
  kms(operation, body, { token: await mintToken({ sub, groups }) });

describe('review regressions', () => {
  it('an RSA key refuses an encryption context it could not bind', async () => {
    const keyId = await createKey({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' });
    const body = { KeyId: keyId, Plaintext: b64(utf8('bob secret')), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' };
    await refused('Encrypt', { ...body, EncryptionContext: { user: 'bob' } }, 'ValidationException');
    const { CiphertextBlob } = await ok('Encrypt', body);
    await refused('Decrypt', { KeyId: keyId, CiphertextBlob, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256', EncryptionContext: { user: 'alice' } }, 'ValidationException');
  });

  it('grant principals are exact ARNs, never patterns', async () => {
    const keyId = await createKey();
    for (const GranteePrincipal of ['*', `arn:aws:sts::${ACCOUNT}:federated-user/*`, 'mall*', `arn:aws:iam::${ACCOUNT}:role/a?c`]) {
      await refused('CreateGrant', { KeyId: keyId, GranteePrincipal, Operations: ['Decrypt'] }, 'ValidationException');
    }
    // A role grantee reaches every identity holding that role, and nobody else.
    await ok('CreateGrant', { KeyId: keyId, GranteePrincipal: `arn:aws:iam::${ACCOUNT}:role/batch`, Operations: ['GenerateDataKey'] });
    expect((await as('worker-1', 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' }, ['batch'])).status).toBe(200);
    expect((await as('worker-2', 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' }, ['batchy'])).body.__type).toBe('AccessDeniedException');
  });

  it('DeleteAlias needs kms:DeleteAlias, not DescribeKey', async () => {
    const keyId = await createKey();
    const alias = `alias/review-${crypto.randomUUID()}`;
    await ok('CreateAlias', { AliasName: alias, TargetKeyId: keyId });
    await ok('PutKeyPolicy', {
      KeyId: keyId,
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'kms:*', Resource: '*' },
          { Effect: 'Allow', Principal: { AWS: `arn:aws:sts::${ACCOUNT}:federated-user/reader` }, Action: 'kms:DescribeKey', Resource: '*' },
        ],
      }),
    });
    expect((await as('reader', 'DescribeKey', { KeyId: keyId })).status).toBe(200);
    expect((await as('reader', 'DeleteAlias', { AliasName: alias })).body.__type).toBe('AccessDeniedException');
    await ok('DescribeKey', { KeyId: alias });
  });

  it('encryption context keys that differ only in case are different keys to a policy', async () => {
    const keyId = await createKey({
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'kms:*', Resource: '*' },
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/app-user` },
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
            Resource: '*',
            Condition: { StringEquals: { 'kms:EncryptionContext:user': '${jwt:sub}' } },
          },
        ],
      }),
    });
    const forged = await as('alice', 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { user: 'bob', User: 'alice' } }, ['app-user']);
    expect(forged.body.__type).toBe('AccessDeniedException');
    const own = await as('alice', 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { user: 'alice', User: 'bob' } }, ['app-user']);
    expect(own.status).toBe(200);
  });

  it('a policy naming an unknown condition key is malformed (a typo would fail open)', async () => {
    const keyId = await createKey();
    const Policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'kms:*', Resource: '*' },
        { Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*', Condition: { StringNotEquals: { 'kms:EncryptionContex:user': 'x' } } },
      ],
    });
    await refused('PutKeyPolicy', { KeyId: keyId, Policy }, 'MalformedPolicyDocumentException');
  });

  it('a pathological wildcard pattern against a long value answers promptly', async () => {
    const keyId = await createKey({
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'kms:*', Resource: '*' },
          { Effect: 'Deny', Principal: '*', Action: 'kms:*', Resource: '*', Condition: { StringLike: { 'kms:EncryptionContext:path': '*/*/*/*/*.pdf' } } },
        ],
      }),
    });
    await ok('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { path: '/'.repeat(8000) } });
    await refused('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { path: `${'/'.repeat(8000)}x.pdf` } }, 'AccessDeniedException');
    // A backtracking matcher takes minutes on these values: the suite's test timeout is the guard.
  });

  it('an alias operation is recorded once, in the account chain, with its real outcome', async () => {
    const keyId = await createKey();
    const alias = `alias/audit-${crypto.randomUUID()}`;
    await ok('CreateAlias', { AliasName: alias, TargetKeyId: keyId });
    const duplicate = await SELF.fetch('https://kms.test/v1/CreateAlias', {
      method: 'POST',
      headers: { authorization: 'Bearer test-admin-token' },
      body: JSON.stringify({ AliasName: alias, TargetKeyId: keyId }),
    });
    expect(duplicate.status).toBe(409);
    const requestId = duplicate.headers.get('x-amzn-requestid');
    const keyTrail = await ok('ListAuditRecords', { KeyId: keyId, Limit: 1000 });
    expect(keyTrail.Records.filter((r: { Operation: string }) => r.Operation === 'kms:CreateAlias')).toEqual([]);
    const accountTrail = await ok('ListAuditRecords', { Operation: 'kms:CreateAlias', Outcome: 'Failed', Limit: 1000 });
    expect(accountTrail.Records.filter((r: { RequestId: string }) => r.RequestId === requestId)).toEqual([
      expect.objectContaining({ Source: `account:${ACCOUNT}`, KeyId: keyId, ErrorName: 'AlreadyExistsException' }),
    ]);
  });
});
