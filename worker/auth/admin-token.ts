import { UnauthenticatedException } from '../errors';
import type { Principal } from './principal';

const encoder = new TextEncoder();

/** Hashing first gives equal-length inputs, so the comparison leaks neither content nor length. */
async function equalSecrets(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(given)),
    crypto.subtle.digest('SHA-256', encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/** The development administrator: one bearer secret from `.dev.vars`, the whole account. */
export async function authenticateAdmin(
  authorization: string | undefined,
  env: { ADMIN_TOKEN?: string; KMS_ACCOUNT_ID: string },
): Promise<Principal> {
  const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
  if (!token) throw new UnauthenticatedException('Missing bearer token.');
  if (!env.ADMIN_TOKEN || !(await equalSecrets(token, env.ADMIN_TOKEN))) {
    throw new UnauthenticatedException('The bearer token is not valid.');
  }
  return {
    account: env.KMS_ACCOUNT_ID,
    arn: `arn:aws:iam::${env.KMS_ACCOUNT_ID}:root`,
    kind: 'admin',
    claims: {},
  };
}
