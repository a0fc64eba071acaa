import { env } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import { authenticateJwt } from '../../worker/auth/jwt';
import { mintToken } from './helpers';

/** The identity provider's keys fetched from a JWKS URL (a loopback server here), not given inline. */
describe('JWKS URL', () => {
  const settings = { ...env, JWT_JWKS: undefined, JWT_HS256_SECRET: undefined, JWT_JWKS_URL: inject('jwksUrl') };

  it('verifies tokens with keys fetched from the JWKS URL', async () => {
    const principal = await authenticateJwt(await mintToken({ sub: 'remote-user', groups: ['g1'] }, { kid: 'rs256' }), settings);
    expect(principal).toMatchObject({ arn: 'arn:aws:sts::111122223333:federated-user/remote-user', kind: 'jwt', roles: ['g1'], isAccountAdmin: false });
  });

  it('refuses a token signed by a key the JWKS does not hold, and HS256 without a secret', async () => {
    await expect(authenticateJwt(await mintToken({}, { kid: 'rogue' }), settings)).rejects.toMatchObject({ name: 'InvalidTokenException' });
    const hs = await mintToken({}, { secret: new TextEncoder().encode('anything') });
    await expect(authenticateJwt(hs, settings)).rejects.toMatchObject({ name: 'InvalidTokenException' });
  });

  it('refuses to fetch keys over plain HTTP from anywhere but loopback', async () => {
    const insecure = { ...settings, JWT_JWKS_URL: 'http://idp.example.test/.well-known/jwks.json' };
    await expect(authenticateJwt(await mintToken({}, { kid: 'rs256' }), insecure)).rejects.toMatchObject({ name: 'KMSInternalException' });
  });
});
