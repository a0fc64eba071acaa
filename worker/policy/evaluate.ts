import type { Principal } from '../auth/principal';
import { normalizeConditionKey } from './condition-keys';
import { conditionHolds, type RequestKeys } from './conditions';
import type { PolicyDocument, Statement } from './document';
import { matchesPattern, type Lookup } from './patterns';

/**
 * Key policy evaluation: an explicit Deny wins, an Allow is needed, and no
 * matching statement is a deny (the caller sees AccessDeniedException).
 */
export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

export interface AuthorizationRequest {
  principal: Principal;
  /** `kms:<Operation>`. */
  action: string;
  /** The key ARN. */
  resource: string;
  /** Condition keys, as `requestKeys` builds them. */
  keys: RequestKeys;
}

const ACCOUNT_ROOT = /^(?:(\d{12})|arn:aws:iam::(\d{12}):root)$/;
const ROLE = /^arn:aws:iam::(\d{12}):role\/(.+)$/;

/** Whether a policy or grant principal (account root, role ARN or identity ARN pattern) names this principal. */
export function principalMatches(arn: string, principal: Principal, lookup: Lookup): boolean {
  const root = ACCOUNT_ROOT.exec(arn);
  // There is no IAM behind the account root here: it stands for the account's administrators.
  if (root) return principal.isAccountAdmin && principal.account === (root[1] ?? root[2]);
  const role = ROLE.exec(arn);
  if (role) {
    return principal.account === role[1] && principal.roles.some((name) => matchesPattern(role[2]!, name, lookup));
  }
  return matchesPattern(arn, principal.arn, lookup);
}

function statementApplies(statement: Statement, request: AuthorizationRequest, lookup: Lookup): boolean {
  const { principal, action, resource } = request;
  const anyOf = (patterns: string[], value: string, ignoreCase = false) =>
    patterns.some((pattern) => matchesPattern(pattern, value, lookup, { ignoreCase }));

  if (statement.principal && !('any' in statement.principal) && !statement.principal.arns.some((arn) => principalMatches(arn, principal, lookup))) {
    return false;
  }
  if (statement.notPrincipal?.arns.some((arn) => principalMatches(arn, principal, lookup))) return false;
  if (statement.action && !anyOf(statement.action, action, true)) return false;
  if (statement.notAction && anyOf(statement.notAction, action, true)) return false;
  if (statement.resource && !anyOf(statement.resource, resource)) return false;
  if (statement.notResource && anyOf(statement.notResource, resource)) return false;
  return statement.conditions.every((clause) => conditionHolds(clause, request.keys, lookup));
}

export function evaluatePolicy(policy: PolicyDocument, request: AuthorizationRequest): Decision {
  const lookup: Lookup = (key) => {
    const value = request.keys.get(normalizeConditionKey(key));
    return typeof value === 'string' ? value : undefined;
  };
  let allowed = false;
  for (const statement of policy.statements) {
    if (!statementApplies(statement, request, lookup)) continue;
    if (statement.effect === 'Deny') return 'ExplicitDeny';
    allowed = true;
  }
  return allowed ? 'Allow' : 'ImplicitDeny';
}
