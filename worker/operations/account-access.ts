import { AccessDeniedException } from '../errors';
import { accessDeniedMessage, decideAccess } from '../policy/access';
import { identityPoliciesOf } from '../policy/identity-policies';
import { requestKeys, type RequestFacts } from '../policy/request-keys';
import type { OperationContext } from './context';

/**
 * Actions that no key policy decides, because they name no key or not only a
 * key: CreateKey, ListKeys, ListAliases, GenerateRandom, ListRetirableGrants
 * and the account's audit trail (resource `*`, as in AWS KMS), and the alias
 * half of CreateAlias / UpdateAlias / DeleteAlias (the alias ARN). As in AWS,
 * the caller's identity policies alone decide them; an administrator holds
 * the equivalent of AdministratorAccess (policy/identity-policies.ts).
 */
export function requireIdentityAllows(ctx: OperationContext, action: string, resource = '*', facts: RequestFacts = {}): void {
  const decision = decideAccess(undefined, identityPoliciesOf(ctx.caller), {
    principal: ctx.principal,
    action,
    resource,
    keys: requestKeys(ctx.caller, facts),
  });
  if (decision.decision !== 'Allow') throw new AccessDeniedException(accessDeniedMessage(ctx.principal.arn, action, resource, decision));
}
