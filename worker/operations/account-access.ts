import type { Principal } from '../auth/principal';
import { AccessDeniedException } from '../errors';

/**
 * Account-level actions (CreateKey, ListKeys, ListAliases, GenerateRandom)
 * name no key, so no key policy decides them. EdgeKMS has no IAM: only the
 * account's administrators may take them, everyone else is denied.
 */
export function requireAccountAdmin(principal: Principal, action: string): void {
  if (!principal.isAccountAdmin) {
    throw new AccessDeniedException(`${principal.arn} is not authorized to perform ${action}.`);
  }
}
