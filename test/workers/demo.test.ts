import { env } from 'cloudflare:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { authenticateJwt } from '../../worker/auth/jwt';
import { DEMO_ORIGIN, demo, demoRoutes, demoToken, expectRefused, type DemoRoute } from './demo-helpers';
import { ADMIN_TOKEN, b64, kms, utf8 } from './helpers';

/** Demo sign-in and the demo-mode switch (docs/api.md, "Demo endpoints"). */
const ACCOUNT = '111122223333';
const arn = (user: string) => `arn:aws:sts::${ACCOUNT}:federated-user/${user}`;

describe('session config', () => {
  it('lists the demo users, the account and the region when demo mode is on', async () => {
    const response = await demo('/session-config');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.body).toEqual({
      demoMode: true,
      users: [
        { name: 'alice', displayName: 'Alice' },
        { name: 'bob', displayName: 'Bob' },
      ],
      account: ACCOUNT,
      region: 'us-east-1',
    });
  });

  it('answers with demo mode off too, without users, so the page can say how to turn it on', async () => {
    for (const DEMO_MODE of ['0', undefined, 'true', '']) {
      const response = await demo('/session-config', { env: { DEMO_MODE } });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ demoMode: false, users: [], account: ACCOUNT, region: 'us-east-1' });
    }
  });
});

describe('demo mode off', () => {
  const routes = demoRoutes(crypto.randomUUID());

  it('every demo route but the session config is absent (404), even for the administrator', async () => {
    for (const [method, path, body] of routes) {
      for (const DEMO_MODE of ['0', undefined]) {
        const response = await demo(path, { method, token: ADMIN_TOKEN, body: body as any, env: { DEMO_MODE } });
        expectRefused(response, 'UnknownOperationException', 404);
        expect(response.body.message).toContain('DEMO_MODE=1');
        expect(response.body.message).toContain('.dev.vars');
      }
    }
  });

  it('the same routes answer with demo mode on', async () => {
    // The contrast that makes the test above mean something.
    const response = await demo('/uploads', { token: ADMIN_TOKEN, env: { DEMO_MODE: '1' } });
    expect(response.status).toBe(200);
    expect(response.body.uploads).toBeInstanceOf(Array);
  });
});

describe('demo sign-in', () => {
  it('issues a short-lived HS256 token for a demo user, with the demo role (no admin role) and the account claim', async () => {
    const before = Math.floor(Date.now() / 1000);
    const response = await demo('/token', { method: 'POST', body: { user: 'alice' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const { token, expiresAt, user, principal } = response.body;
    expect(Object.keys(response.body).sort()).toEqual(['expiresAt', 'principal', 'token', 'user']);
    expect(user).toBe('alice');
    expect(principal).toBe(arn('alice'));
    expect(decodeProtectedHeader(token).alg).toBe('HS256');
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: env.JWT_ISSUER, aud: env.JWT_AUDIENCE, sub: 'alice', groups: ['edgekms-demo-user'], account: ACCOUNT });
    expect(claims.exp).toBe(expiresAt);
    expect(claims.exp! - claims.iat!).toBe(900);
    expect(claims.iat).toBeGreaterThanOrEqual(before);

    // The ordinary JWT path accepts it and sees the principal the response named.
    const verified = await authenticateJwt(token, env);
    expect(verified).toMatchObject({ arn: principal, account: ACCOUNT, kind: 'jwt', roles: ['edgekms-demo-user'], isAccountAdmin: false });
  });

  it('follows the configured roles claim and account claim, and never grants the configured admin role', async () => {
    const changed = { JWT_ROLES_CLAIM: 'roles', KMS_ADMIN_ROLE: 'demo-admins', JWT_ACCOUNT_CLAIM: undefined };
    const response = await demo('/token', { method: 'POST', body: { user: 'bob' }, env: changed });
    expect(response.status).toBe(200);
    const claims = decodeJwt(response.body.token);
    expect(claims.roles).toEqual(['edgekms-demo-user']);
    expect(claims).not.toHaveProperty('groups');
    expect(claims).not.toHaveProperty('account');
    const verified = await authenticateJwt(response.body.token, { ...env, ...changed });
    expect(verified).toMatchObject({ arn: arn('bob'), isAccountAdmin: false });
  });

  it('a demo user can create a key, and bob is denied a key whose policy names only alice', async () => {
    const alice = await demoToken('alice');
    const bob = await demoToken('bob');
    const policy = {
      Version: '2012-10-17',
      Statement: [{ Sid: 'alice only', Effect: 'Allow', Principal: { AWS: arn('alice') }, Action: 'kms:*', Resource: '*' }],
    };
    const created = await kms('CreateKey', { Policy: JSON.stringify(policy) }, { token: alice });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const keyId = created.body.KeyMetadata.KeyId as string;

    const encrypted = await kms('Encrypt', { KeyId: keyId, Plaintext: b64(utf8('hello')) }, { token: alice });
    expect(encrypted.status, JSON.stringify(encrypted.body)).toBe(200);
    const decrypted = await kms('Decrypt', { CiphertextBlob: encrypted.body.CiphertextBlob }, { token: alice });
    expect(decrypted.body.Plaintext).toBe(b64(utf8('hello')));

    for (const [operation, body] of [
      ['Decrypt', { CiphertextBlob: encrypted.body.CiphertextBlob }],
      ['Encrypt', { KeyId: keyId, Plaintext: b64(utf8('x')) }],
      ['GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' }],
      ['PutKeyPolicy', { KeyId: keyId, PolicyName: 'default', Policy: JSON.stringify({ ...policy, Statement: [{ ...policy.Statement[0], Principal: { AWS: '*' } }] }) }],
    ] as const) {
      const response = await kms(operation, body, { token: bob });
      expect(response.body.__type, `${operation} as bob`).toBe('AccessDeniedException');
      expect(response.status).toBe(403);
    }
  });

  it('a demo user (no administrator) may create keys and alias/demo-<self> only, and nothing account-wide', async () => {
    const alice = await demoToken('alice');
    const bob = await demoToken('bob');
    const ownerOnly = (user: string) =>
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: arn(user) }, Action: 'kms:*', Resource: '*' }] });
    const created = await kms('CreateKey', { Policy: ownerOnly('alice') }, { token: alice });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const keyId = created.body.KeyMetadata.KeyId as string;
    await kms('DeleteAlias', { AliasName: 'alias/demo-alice' });
    expect((await kms('CreateAlias', { AliasName: 'alias/demo-alice', TargetKeyId: keyId }, { token: alice })).status).toBe(200);
    expect((await kms('Encrypt', { KeyId: 'alias/demo-alice', Plaintext: b64(utf8('x')) }, { token: alice })).status).toBe(200);

    const deniedTo = async (token: string, operation: string, body: Record<string, unknown>) => {
      const response = await kms(operation, body, { token });
      expect(response.body.__type, `${operation} ${JSON.stringify(body)}`).toBe('AccessDeniedException');
      return response.body.message as string;
    };
    for (const other of ['alias/demo-bob', 'alias/demo-alice2', 'alias/payments', 'alias/demo-alice/x']) {
      expect(await deniedTo(alice, 'CreateAlias', { AliasName: other, TargetKeyId: keyId })).toContain('because no identity-based policy allows the kms:CreateAlias action');
    }
    expect(await deniedTo(alice, 'ListKeys', {})).toBe(
      `User: ${arn('alice')} is not authorized to perform: kms:ListKeys on resource: * because no identity-based policy allows the kms:ListKeys action`,
    );
    await deniedTo(alice, 'ListAliases', {});
    await deniedTo(alice, 'ListAuditRecords', {});
    await deniedTo(alice, 'PutRolePolicy', { RoleName: 'edgekms-demo-user', PolicyName: 'edgekms-demo', PolicyDocument: '{}' });
    // bob may not use alice's alias, nor her key by its id, nor re-point her alias.
    expect(await deniedTo(bob, 'Encrypt', { KeyId: 'alias/demo-alice', Plaintext: b64(utf8('x')) })).toContain('with an explicit deny in an identity-based policy');
    expect(await deniedTo(bob, 'Encrypt', { KeyId: keyId, Plaintext: b64(utf8('x')) })).toContain('because no resource-based policy allows the kms:Encrypt action');
    await deniedTo(bob, 'UpdateAlias', { AliasName: 'alias/demo-alice', TargetKeyId: keyId });
  });

  it('refuses users who are not demo users with 400', async () => {
    for (const body of [{ user: 'mallory' }, { user: 'Alice' }, { user: 'admin' }, { user: ['alice'] }, { user: '' }, {}]) {
      const response = await demo('/token', { method: 'POST', body });
      expectRefused(response, 'ValidationException', 400);
      expect(response.body.message).toContain('alice, bob');
    }
    expectRefused(await demo('/token', { method: 'POST', body: '{"user":' }), 'SerializationException', 400);
  });

  it('names the missing settings instead of failing blindly', async () => {
    for (const missing of ['JWT_HS256_SECRET', 'JWT_ISSUER', 'JWT_AUDIENCE'] as const) {
      const response = await demo('/token', { method: 'POST', body: { user: 'alice' }, env: { [missing]: undefined } });
      expect(response.body.__type).toBe('KMSInternalException');
      expect(response.body.message).toContain(missing);
      expect(response.body.message).toContain('.dev.vars');
    }
  });
});

describe('DNS rebinding', () => {
  // A page on evil.example that re-points its name at 127.0.0.1 is same-origin with a local demo;
  // the browser still sends its name as Host and, on the sign-in POST, its origin as Origin.
  const signIn = (origin: string, headers: Record<string, string> = {}) => demo('/token', { method: 'POST', body: { user: 'alice' }, origin, headers });
  const routes: DemoRoute[] = [['GET', '/session-config'], ...demoRoutes(crypto.randomUUID())];

  it('with demo mode on, no demo route answers on a host that is not loopback', async () => {
    const token = await demoToken('alice');
    for (const origin of ['http://evil.example', 'http://evil.example:8787', 'http://localhost.evil.example:8787', 'http://127.0.0.1.nip.io:8787', 'http://10.0.0.5:8787']) {
      for (const [method, path, body] of routes) {
        const response = await demo(path, { method, token, body: body as any, origin });
        expectRefused(response, 'AccessDeniedException', 403);
        expect(response.body.message, `${method} ${path} on ${origin}`).toContain('loopback host');
        expect(response.body).not.toHaveProperty('token');
      }
    }
  });

  it('a Host header that is not loopback is refused even when the URL is', async () => {
    expectRefused(await signIn(DEMO_ORIGIN, { host: 'evil.example' }), 'AccessDeniedException', 403);
  });

  it('sign-in on a loopback host refuses a page of another origin', async () => {
    for (const origin of ['http://evil.example', 'null', 'http://127.0.0.1:8787', 'http://localhost:9999', 'https://localhost:8787.evil.example', 'file://']) {
      const response = await signIn(DEMO_ORIGIN, { origin });
      expectRefused(response, 'AccessDeniedException', 403);
      expect(response.body.message, origin).toContain('Origin');
      expect(response.body).not.toHaveProperty('token');
    }
  });

  it('sign-in answers a loopback host, with no Origin or its own', async () => {
    for (const origin of ['http://localhost:8787', 'http://127.0.0.1:8787', 'http://127.1.2.3', 'http://[::1]:8787', 'http://demo.localhost:8787', 'http://LOCALHOST:8787']) {
      for (const headers of [{}, { origin: new URL(origin).origin }] as Record<string, string>[]) {
        const response = await signIn(origin, headers);
        expect(response.status, `${origin} ${JSON.stringify(headers)}: ${JSON.stringify(response.body)}`).toBe(200);
        expect(response.body.user).toBe('alice');
      }
    }
  });

  it('with demo mode off, the session config still answers anywhere (it is all the page needs to say so)', async () => {
    const response = await demo('/session-config', { origin: 'http://evil.example', env: { DEMO_MODE: '0' } });
    expect(response.status).toBe(200);
    expect(response.body.demoMode).toBe(false);
    expectRefused(await demo('/token', { method: 'POST', body: { user: 'alice' }, origin: 'http://evil.example', env: { DEMO_MODE: '0' } }), 'UnknownOperationException', 404);
  });
});
