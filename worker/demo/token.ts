import { SignJWT } from 'jose';
import type { Bindings } from '../env';
import { KMSInternalException } from '../errors';
import { DEMO_ROLE } from './role-policy';
import { demoUserArn, type DemoUser } from './users';

export interface DemoToken {
  token: string;
  /** Epoch seconds. */
  expiresAt: number;
  user: string;
  principal: string;
}

/** Short, so that a token copied out of the page is soon worthless. */
const LIFETIME_SECONDS = 15 * 60;

/**
 * Signs the token a real identity provider would have issued, with the local
 * HS256 secret, so that it takes the ordinary authenticateJwt path; nothing
 * downstream knows it came from the demo.
 *
 * Demo users hold only the demo role (role-policy.ts): they may create keys
 * and their own `alias/demo-<user>`, and are no administrators. Their key
 * policies name only the user, so nothing opens one user's key to another.
 */
export async function issueDemoToken(user: DemoUser, env: Bindings, now = Date.now()): Promise<DemoToken> {
  const missing = (['JWT_HS256_SECRET', 'JWT_ISSUER', 'JWT_AUDIENCE'] as const).filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new KMSInternalException(`Demo sign-in needs ${missing.join(', ')} in .dev.vars (npm start creates them).`);
  }
  const issuedAt = Math.floor(now / 1000);
  const expiresAt = issuedAt + LIFETIME_SECONDS;
  const claims: Record<string, unknown> = { [env.JWT_ROLES_CLAIM ?? 'groups']: [DEMO_ROLE] };
  if (env.JWT_ACCOUNT_CLAIM) claims[env.JWT_ACCOUNT_CLAIM] = env.KMS_ACCOUNT_ID;
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(env.JWT_ISSUER!)
    .setAudience(env.JWT_AUDIENCE!)
    .setSubject(user.name)
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .sign(new TextEncoder().encode(env.JWT_HS256_SECRET));
  return { token, expiresAt, user: user.name, principal: demoUserArn(env.KMS_ACCOUNT_ID, user) };
}
