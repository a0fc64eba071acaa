import type { Principal } from '../auth/principal';
import { normalizeConditionKey } from './condition-keys';
import { conditionHolds, type RequestKeys } from './conditions';
import type { PolicyDocument, Statement } from './document';
import { matchesPattern, type Lookup } from './patterns';

/**
 * One policy document against one request: which of its statements apply,
 * and how each names the caller. access.ts combines the key policy's answer
 * with the identity policies' into the decision, as AWS KMS does.
 */
export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

export interface AuthorizationRequest {
  principal: Principal;
  /** `kms:<Operation>`. */
  action: string;
  /** The key ARN, the alias ARN, or `*` for an action that names no resource (CreateKey, ListKeys, …). */
  resource: string;
  /** Condition keys, as `requestKeys` builds them. */
  keys: RequestKeys;
}

/** What one document says about a request. */
export interface PolicyVerdict {
  /** A Deny statement applies: nothing else can allow the request. */
  deny: boolean;
  /** An Allow statement names the caller (its ARN, a role it holds, or `*`), or is an identity policy's own. */
  allowsCaller: boolean;
  /** An Allow statement names the caller's account root: the account's identity policies decide. */
  allowsAccount: boolean;
}

const ACCOUNT_ROOT = /^(?:(\d{12})|arn:aws:iam::(\d{12}):root)$/;
const ROLE = /^arn:aws:iam::(\d{12}):role\/(.+)$/;

/** How a Principal element names this caller: itself, its account (delegation to IAM), or not at all. */
type Naming = 'caller' | 'account' | undefined;

function naming(arn: string, principal: Principal, lookup: Lookup): Naming {
  const root = ACCOUNT_ROOT.exec(arn);
  if (root) return principal.account === (root[1] ?? root[2]) ? 'account' : undefined;
  const role = ROLE.exec(arn);
  if (role) {
    return principal.account === role[1] && principal.roles.some((name) => matchesPattern(role[2]!, name, lookup)) ? 'caller' : undefined;
  }
  return matchesPattern(arn, principal.arn, lookup) ? 'caller' : undefined;
}

function statementNaming(statement: Statement, principal: Principal, lookup: Lookup): Naming {
  // An identity policy has no Principal: it speaks of the identity it is attached to.
  if (!statement.principal && !statement.notPrincipal) return 'caller';
  if (statement.principal) {
    if ('any' in statement.principal) return 'caller';
    const names = statement.principal.arns.map((arn) => naming(arn, principal, lookup));
    return names.includes('caller') ? 'caller' : names.includes('account') ? 'account' : undefined;
  }
  // NotPrincipal excludes what it lists; the account root there stands only for the root identity itself.
  const excluded = statement.notPrincipal!.arns.some((arn) =>
    ACCOUNT_ROOT.test(arn) ? naming(arn, principal, lookup) === 'account' && principal.arn === `arn:aws:iam::${principal.account}:root` : naming(arn, principal, lookup) === 'caller',
  );
  return excluded ? undefined : 'caller';
}

function statementMatches(statement: Statement, request: AuthorizationRequest, lookup: Lookup): boolean {
  const { action, resource } = request;
  const anyOf = (patterns: string[], value: string, ignoreCase = false) =>
    patterns.some((pattern) => matchesPattern(pattern, value, lookup, { ignoreCase }));
  if (statement.action && !anyOf(statement.action, action, true)) return false;
  if (statement.notAction && anyOf(statement.notAction, action, true)) return false;
  if (statement.resource && !anyOf(statement.resource, resource)) return false;
  if (statement.notResource && anyOf(statement.notResource, resource)) return false;
  return statement.conditions.every((clause) => conditionHolds(clause, request.keys, lookup));
}

export function requestLookup(keys: RequestKeys): Lookup {
  return (key) => {
    const value = keys.get(normalizeConditionKey(key));
    return typeof value === 'string' ? value : undefined;
  };
}

export function policyVerdict(policy: PolicyDocument, request: AuthorizationRequest): PolicyVerdict {
  const lookup = requestLookup(request.keys);
  const verdict: PolicyVerdict = { deny: false, allowsCaller: false, allowsAccount: false };
  for (const statement of policy.statements) {
    const named = statementNaming(statement, request.principal, lookup);
    if (!named || !statementMatches(statement, request, lookup)) continue;
    if (statement.effect === 'Deny') {
      // A Deny that names the account applies to everyone in it.
      verdict.deny = true;
      return verdict;
    }
    if (named === 'caller') verdict.allowsCaller = true;
    else verdict.allowsAccount = true;
  }
  return verdict;
}
