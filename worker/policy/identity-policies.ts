import type { Caller } from '../auth/caller';
import { parsePolicy, type PolicyDocument } from './document';

/**
 * The identity policies that speak for a caller. The Worker resolves the
 * stored ones once per request (operations/identity-resolution.ts) and hands
 * them, parsed, to whoever decides; an administrator (the bootstrap token, or
 * the configured admin role) holds, on top, the equivalent of IAM's
 * AdministratorAccess for KMS: every action on every resource of its account,
 * which a key policy naming the account root lets through and an explicit
 * Deny still stops.
 */
export const ADMINISTRATOR_ACCESS: PolicyDocument = parsePolicy(
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'EdgeKmsAdministrator', Effect: 'Allow', Action: 'kms:*', Resource: '*' }] }),
  'identity',
);

export function identityPoliciesOf(caller: Pick<Caller, 'principal' | 'identityPolicies'>): readonly PolicyDocument[] {
  const stored = caller.identityPolicies ?? [];
  return caller.principal.isAccountAdmin ? [ADMINISTRATOR_ACCESS, ...stored] : stored;
}
