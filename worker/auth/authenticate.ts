import type { Bindings } from '../env';
import { UnauthenticatedException } from '../errors';
import { equalSecrets } from './constant-time';
import { authenticateJwt } from './jwt';
import type { Principal } from './principal';

/** The account's administrator, as the bootstrap secret ADMIN_TOKEN proves. */
export function adminPrincipal(account: string): Principal {
  return { account, arn: `arn:aws:iam::${account}:root`, kind: 'admin', claims: {}, roles: [], isAccountAdmin: true };
}

/**
 * `Authorization: Bearer <token>`: the bootstrap admin token (compared in
 * constant time) or a JWT. There is no anonymous access.
 */
export async function authenticateBearer(authorization: string | undefined, env: Bindings): Promise<Principal> {
  const token = /^Bearer ([^\s]+)$/.exec(authorization ?? '')?.[1];
  if (!token) throw new UnauthenticatedException('Missing bearer token.');
  if (env.ADMIN_TOKEN && (await equalSecrets(token, env.ADMIN_TOKEN))) return adminPrincipal(env.KMS_ACCOUNT_ID);
  return authenticateJwt(token, env);
}
