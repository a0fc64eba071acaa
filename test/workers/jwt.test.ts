import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { base64url } from 'jose';
import { createKey, kms, mintToken, ok, refused } from './helpers';

const idp = inject('identityProvider');
const admin = { groups: ['kms-admin'] };

async function as(token: string, operation = 'ListKeys', body: unknown = {}) {
  return kms(operation, body, { token });
}

describe('JWT authentication', () => {
  it('accepts ES256 and RS256 tokens from the JWKS and HS256 tokens with the shared secret', async () => {
    const secret = new TextEncoder().encode(idp.hs256Secret);
    for (const token of [
      await mintToken(admin, { kid: 'es256' }),
      await mintToken(admin, { kid: 'rs256' }),
      await mintToken(admin, { secret }),
    ]) {
      const response = await as(token);
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      expect(response.body.Keys).toBeInstanceOf(Array);
    }
  });

  it('an authenticated identity without the admin role is denied (403), not unauthenticated', async () => {
    const response = await as(await mintToken({ groups: ['readers'] }));
    expect(response.status).toBe(403);
    expect(response.body.__type).toBe('AccessDeniedException');
    expect(response.body.message).toContain('arn:aws:sts::111122223333:federated-user/alice');
  });

  it('maps the account claim and refuses a malformed one', async () => {
    const keyId = await createKey();
    // An administrator of another account cannot see this account's keys: a bare key id
    // resolves in the caller's own account, and the key's policy denies the full ARN.
    const other = await mintToken({ ...admin, account: '999999999999' });
    expect((await as(other, 'DescribeKey', { KeyId: keyId })).body.__type).toBe('NotFoundException');
    const byArn = await as(other, 'DescribeKey', { KeyId: `arn:aws:kms:us-east-1:111122223333:key/${keyId}` });
    expect(byArn.body.__type).toBe('AccessDeniedException');
    expect((await as(other)).body.Keys).not.toContainEqual(expect.objectContaining({ KeyId: keyId }));
    await refused('ListKeys', {}, 'InvalidTokenException', { token: await mintToken({ ...admin, account: 'acme' }) });
    // With an account claim configured, a token without one belongs to no account.
    await refused('ListKeys', {}, 'InvalidTokenException', { token: await mintToken({ ...admin, account: undefined }) });
  });

  it('refuses subjects that are not usable identities', async () => {
    for (const sub of ['', '*', 'a*b', 'user?', '${jwt:x}', 'tab\there', 'x'.repeat(257)]) {
      await refused('ListKeys', {}, 'InvalidTokenException', { token: await mintToken({ ...admin, sub }) });
    }
    await refused('ListKeys', {}, 'InvalidTokenException', { token: await mintToken({ ...admin, sub: { a: 1 } }) });
  });

  const failures: Array<[string, () => Promise<string>, string]> = [
    ['expired', () => mintToken({ ...admin, exp: Math.floor(Date.now() / 1000) - 120 }), 'ExpiredTokenException'],
    ['not yet valid', () => mintToken({ ...admin, nbf: Math.floor(Date.now() / 1000) + 600 }), 'ExpiredTokenException'],
    ['without exp', () => mintToken({ ...admin, exp: undefined }), 'InvalidTokenException'],
    ['without sub', () => mintToken({ ...admin, sub: undefined }), 'InvalidTokenException'],
    ['of the wrong audience', () => mintToken({ ...admin, aud: 'someone-else' }), 'InvalidTokenException'],
    ['of the wrong issuer', () => mintToken({ ...admin, iss: 'https://evil.test/' }), 'InvalidTokenException'],
    ['signed by a key not in the JWKS', () => mintToken(admin, { kid: 'rogue' }), 'InvalidTokenException'],
    ['HS256 with the wrong secret', () => mintToken(admin, { secret: new TextEncoder().encode('guessed') }), 'InvalidTokenException'],
    [
      'HS256 keyed with the RSA public key (algorithm confusion)',
      () => mintToken(admin, { secret: new TextEncoder().encode(JSON.stringify(idp.publicJwks.keys[1])) }),
      'InvalidTokenException',
    ],
    ['with alg none', async () => unsecured({ iss: idp.issuer, aud: idp.audience, sub: 'alice', exp: Math.floor(Date.now() / 1000) + 300, ...admin }), 'InvalidTokenException'],
    ['with a tampered payload', async () => tamper(await mintToken(admin)), 'InvalidTokenException'],
    ['that is not a JWT', async () => 'abc.def', 'InvalidTokenException'],
  ];

  it.each(failures)('refuses a token %s with 401 %s', async (_label, token, errorName) => {
    const response = await refused('ListKeys', {}, errorName, { token: await token() });
    expect(response.status).toBe(401);
  });
});

function unsecured(payload: Record<string, unknown>): string {
  const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(payload)}.`;
}

/** Swaps the subject in the payload while keeping the original signature. */
function tamper(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload)));
  claims.sub = 'mallory';
  return `${header}.${base64url.encode(JSON.stringify(claims))}.${signature}`;
}

it('the admin token still works beside JWTs', async () => {
  await ok('ListKeys', {});
});
