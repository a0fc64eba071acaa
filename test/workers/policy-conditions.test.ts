import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../worker/auth/principal';
import { parsePolicy } from '../../worker/policy/document';
import { evaluatePolicy } from '../../worker/policy/access';
import { requestKeys, type RequestFacts } from '../../worker/policy/request-keys';
import { ADMIN_TOKEN, asUser, createKey, mintToken, ok, refused } from './helpers';

const alice: Principal = {
  account: '111122223333',
  arn: 'arn:aws:sts::111122223333:federated-user/alice',
  kind: 'jwt',
  claims: { sub: 'alice', tenant: 'acme', level: 3, groups: ['a', 'b'] },
  roles: ['app-user'],
  isAccountAdmin: false,
};

/** Whether one Allow statement with `condition` lets alice Decrypt with `facts`. */
function allows(condition: object, facts: RequestFacts = {}): boolean {
  const policy = parsePolicy(
    JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*', Condition: condition }] }),
  );
  const keys = requestKeys({ principal: alice, request: { requestId: 'r', via: 'native', sourceIp: '203.0.113.9', secureTransport: true } }, facts);
  return evaluatePolicy(policy, { principal: alice, action: 'kms:Decrypt', resource: 'arn:aws:kms:us-east-1:111122223333:key/k', keys }) === 'Allow';
}

const ctx = (encryptionContext: Record<string, string>): RequestFacts => ({ encryptionContext });

describe('condition operators', () => {
  it('StringEquals / StringNotEquals, with values OR-ed and keys AND-ed', () => {
    expect(allows({ StringEquals: { 'kms:EncryptionContext:user': ['bob', 'alice'] } }, ctx({ user: 'alice' }))).toBe(true);
    expect(allows({ StringEquals: { 'kms:EncryptionContext:user': 'alice', 'kms:EncryptionContext:app': 'x' } }, ctx({ user: 'alice' }))).toBe(false);
    expect(allows({ StringEquals: { 'kms:EncryptionContext:user': 'ALICE' } }, ctx({ user: 'alice' }))).toBe(false);
    expect(allows({ StringNotEquals: { 'kms:EncryptionContext:user': 'bob' } }, ctx({ user: 'alice' }))).toBe(true);
    expect(allows({ StringNotEquals: { 'kms:EncryptionContext:user': ['bob', 'alice'] } }, ctx({ user: 'alice' }))).toBe(false);
    // A negated operator on a missing key holds, as in IAM.
    expect(allows({ StringNotEquals: { 'kms:EncryptionContext:user': 'bob' } })).toBe(true);
    expect(allows({ StringEquals: { 'kms:EncryptionContext:user': 'alice' } })).toBe(false);
  });

  it('StringEqualsIgnoreCase and StringLike', () => {
    expect(allows({ StringEqualsIgnoreCase: { 'kms:EncryptionContext:user': 'ALICE' } }, ctx({ user: 'alice' }))).toBe(true);
    expect(allows({ StringLike: { 'kms:EncryptionContext:path': 'uploads/*/a?c' } }, ctx({ path: 'uploads/2026/abc' }))).toBe(true);
    expect(allows({ StringLike: { 'kms:EncryptionContext:path': 'uploads/*' } }, ctx({ path: 'other/x' }))).toBe(false);
    expect(allows({ StringNotLike: { 'kms:EncryptionContext:path': 'secret/*' } }, ctx({ path: 'public/x' }))).toBe(true);
  });

  it('claim variables substitute as literals', () => {
    expect(allows({ StringEquals: { 'kms:EncryptionContext:tenant': '${jwt:tenant}' } }, ctx({ tenant: 'acme' }))).toBe(true);
    expect(allows({ StringLike: { 'kms:EncryptionContext:path': 'users/${jwt:sub}/*' } }, ctx({ path: 'users/alice/file' }))).toBe(true);
    expect(allows({ StringLike: { 'kms:EncryptionContext:path': 'users/${jwt:sub}/*' } }, ctx({ path: 'users/bob/file' }))).toBe(false);
    // An unknown variable matches nothing.
    expect(allows({ StringEquals: { 'kms:EncryptionContext:user': '${jwt:missing}' } }, ctx({ user: '' }))).toBe(false);
    // Escapes are literal characters.
    expect(allows({ StringEquals: { 'kms:EncryptionContext:q': 'a${*}b' } }, ctx({ q: 'a*b' }))).toBe(true);
  });

  it('IfExists passes a missing key but still tests a present one', () => {
    const condition = { StringEqualsIfExists: { 'kms:EncryptionContext:user': 'alice' } };
    expect(allows(condition)).toBe(true);
    expect(allows(condition, ctx({ user: 'alice' }))).toBe(true);
    expect(allows(condition, ctx({ user: 'bob' }))).toBe(false);
  });

  it('ForAnyValue and ForAllValues over kms:EncryptionContextKeys', () => {
    const onlyAllowed = { 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['user', 'app'] } };
    expect(allows(onlyAllowed, ctx({ user: 'a', app: 'b' }))).toBe(true);
    expect(allows(onlyAllowed, ctx({ user: 'a', extra: 'c' }))).toBe(false);
    expect(allows(onlyAllowed)).toBe(true); // IAM: ForAllValues holds for an empty set
    const needsOne = { 'ForAnyValue:StringEquals': { 'kms:EncryptionContextKeys': 'user' } };
    expect(allows(needsOne, ctx({ user: 'a', other: 'b' }))).toBe(true);
    expect(allows(needsOne, ctx({ other: 'b' }))).toBe(false);
    expect(allows(needsOne)).toBe(false);
    expect(allows({ 'ForAnyValue:StringLike': { 'jwt:groups': 'b*' } })).toBe(true);
  });

  it('Numeric, Date, Bool and Null', () => {
    expect(allows({ NumericGreaterThanEquals: { 'jwt:level': '3' } })).toBe(true);
    expect(allows({ NumericLessThan: { 'jwt:level': '3' } })).toBe(false);
    expect(allows({ NumericEquals: { 'jwt:level': 'three' } })).toBe(false);
    expect(allows({ NumericNotEquals: { 'jwt:level': '4' } })).toBe(true);
    expect(allows({ DateLessThan: { 'aws:CurrentTime': '2999-01-01T00:00:00Z' } })).toBe(true);
    expect(allows({ DateGreaterThan: { 'aws:CurrentTime': '2999-01-01T00:00:00Z' } })).toBe(false);
    expect(allows({ Bool: { 'aws:SecureTransport': 'true' } })).toBe(true);
    expect(allows({ Null: { 'kms:EncryptionContext:user': 'true' } })).toBe(true);
    expect(allows({ Null: { 'kms:EncryptionContext:user': 'false' } }, ctx({ user: 'x' }))).toBe(true);
    expect(allows({ Null: { 'kms:EncryptionContext:user': 'false' } })).toBe(false);
  });

  it('condition keys are case-insensitive; values are not', () => {
    expect(allows({ StringEquals: { 'KMS:CallerAccount': '111122223333' } })).toBe(true);
    expect(allows({ StringEquals: { 'aws:SourceIp': '203.0.113.9' } })).toBe(true);
  });
});

describe('aws:SecureTransport', () => {
  /** A request to the real Worker with the URL scheme given. */
  async function call(scheme: 'http' | 'https', token: string, operation: string, body: unknown) {
    const response = await SELF.fetch(`${scheme}://kms.test/v1/${operation}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  }

  it('is "true" only for a request that reached the Worker over https', async () => {
    const keyId = await createKey();
    const account = '111122223333';
    await ok('PutKeyPolicy', {
      KeyId: keyId,
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' },
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:sts::${account}:federated-user/alice` },
            Action: 'kms:GenerateDataKey',
            Resource: '*',
            Condition: { Bool: { 'aws:SecureTransport': 'true' } },
          },
          // AWS's usual guard: nobody, administrators included, uses the key over plain HTTP.
          { Effect: 'Deny', Principal: '*', Action: 'kms:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
        ],
      }),
    });
    const alice = await mintToken({ sub: 'alice', groups: [] });
    const request = { KeyId: keyId, KeySpec: 'AES_256' };
    expect((await call('https', alice, 'GenerateDataKey', request)).status).toBe(200);
    const plain = await call('http', alice, 'GenerateDataKey', request);
    expect(plain.body.__type).toBe('AccessDeniedException');
    expect(plain.status).toBe(403);
    expect((await call('https', ADMIN_TOKEN, 'DescribeKey', { KeyId: keyId })).status).toBe(200);
    expect((await call('http', ADMIN_TOKEN, 'DescribeKey', { KeyId: keyId })).body.__type).toBe('AccessDeniedException');
  });
});

/** Defects found in an earlier review, each pinned by the request sequence that showed it. */
describe('review regressions', () => {
  const REVIEW_ACCOUNT = '111122223333';

  it('encryption context keys that differ only in case are different keys to a policy', async () => {
    const keyId = await createKey({
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: REVIEW_ACCOUNT }, Action: 'kms:*', Resource: '*' },
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${REVIEW_ACCOUNT}:role/app-user` },
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
            Resource: '*',
            Condition: { StringEquals: { 'kms:EncryptionContext:user': '${jwt:sub}' } },
          },
        ],
      }),
    });
    const forged = await asUser('alice', 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { user: 'bob', User: 'alice' } }, ['app-user']);
    expect(forged.body.__type).toBe('AccessDeniedException');
    const own = await asUser('alice', 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { user: 'alice', User: 'bob' } }, ['app-user']);
    expect(own.status).toBe(200);
  });
  it('a pathological wildcard pattern against a long value answers promptly', async () => {
    const keyId = await createKey({
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: REVIEW_ACCOUNT }, Action: 'kms:*', Resource: '*' },
          { Effect: 'Deny', Principal: '*', Action: 'kms:*', Resource: '*', Condition: { StringLike: { 'kms:EncryptionContext:path': '*/*/*/*/*.pdf' } } },
        ],
      }),
    });
    await ok('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { path: '/'.repeat(8000) } });
    await refused('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: { path: `${'/'.repeat(8000)}x.pdf` } }, 'AccessDeniedException');
    // A backtracking matcher takes minutes on these values: the suite's test timeout is the guard.
  });
});
