import type { PolicyDocument } from './document';
import { policyVerdict, type AuthorizationRequest, type Decision } from './evaluate';

/**
 * The access decision of AWS KMS, from the key policy (a resource-based
 * policy) and the caller's identity policies together:
 *
 * 1. an applicable Deny in either kind of policy denies;
 * 2. a key policy Allow that names the caller (its ARN, a role it holds, or
 *    `*`) allows on its own, for a caller of the key's account;
 * 3. a key policy Allow that names the caller's account root allows only if
 *    an identity policy of the caller allows too ("enables IAM policies");
 * 4. a caller of another account needs both: the key policy must name it or
 *    its account, and its identity policies must allow;
 * 5. an action on no key (CreateKey, ListKeys, an alias ARN) has no key
 *    policy: the identity policies alone decide;
 * 6. otherwise the request is implicitly denied (grants may still allow it,
 *    key-object/authorize.ts).
 */
export type PolicyType = 'identity-based' | 'resource-based';

export interface AccessDecision {
  decision: Decision;
  /** The kind of policy whose Deny, or whose missing Allow, refused the request. */
  policyType?: PolicyType;
}

function accountOf(resource: string): string | undefined {
  return /^arn:aws:kms:[^:]*:(\d{12}):/.exec(resource)?.[1];
}

export function decideAccess(
  keyPolicy: PolicyDocument | undefined,
  identityPolicies: readonly PolicyDocument[],
  request: AuthorizationRequest,
): AccessDecision {
  const key = keyPolicy && policyVerdict(keyPolicy, request);
  if (key?.deny) return { decision: 'ExplicitDeny', policyType: 'resource-based' };
  let identityAllows = false;
  for (const policy of identityPolicies) {
    const verdict = policyVerdict(policy, request);
    if (verdict.deny) return { decision: 'ExplicitDeny', policyType: 'identity-based' };
    identityAllows ||= verdict.allowsCaller;
  }
  if (!key) return identityAllows ? { decision: 'Allow' } : { decision: 'ImplicitDeny', policyType: 'identity-based' };
  if (!key.allowsCaller && !key.allowsAccount) return { decision: 'ImplicitDeny', policyType: 'resource-based' };
  const sameAccount = accountOf(request.resource) === request.principal.account;
  if (key.allowsCaller && sameAccount) return { decision: 'Allow' };
  return identityAllows ? { decision: 'Allow' } : { decision: 'ImplicitDeny', policyType: 'identity-based' };
}

/** A single document on its own, as if it were the key policy and the caller had no identity policies. */
export function evaluatePolicy(policy: PolicyDocument, request: AuthorizationRequest): Decision {
  return decideAccess(policy, [], request).decision;
}

/** AWS's wording of an AccessDeniedException (IAM User Guide, "Access denied error messages"). */
export function accessDeniedMessage(principalArn: string, action: string, resource: string, { decision, policyType }: AccessDecision): string {
  const subject = `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource}`;
  const kind = policyType ?? 'identity-based';
  return decision === 'ExplicitDeny'
    ? `${subject} with an explicit deny in a${kind === 'identity-based' ? 'n' : ''} ${kind} policy`
    : `${subject} because no ${kind} policy allows the ${action} action`;
}
