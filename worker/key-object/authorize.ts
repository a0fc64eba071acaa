import type { Caller } from '../auth/caller';
import { AccessDeniedException, MalformedPolicyDocumentException } from '../errors';
import { accessDeniedMessage, decideAccess, type AccessDecision } from '../policy/access';
import { defaultKeyPolicy } from '../policy/default-policy';
import { parsePolicy, type PolicyDocument } from '../policy/document';
import { identityPoliciesOf } from '../policy/identity-policies';
import { requestKeys, type RequestFacts } from '../policy/request-keys';
import { findGrant, type Grant } from './grants';
import { recordArn, type KeyRecord } from './key-record';

/**
 * The authorization decision for one action on one key, taken inside the
 * key's Durable Object with the key's policy as it is at that moment and the
 * identity policies the Worker resolved for this request (on the caller).
 */
const parsed = new Map<string, PolicyDocument>();

function policyOf(record: KeyRecord): PolicyDocument {
  const text = record.policy ?? defaultKeyPolicy(record.account);
  let document = parsed.get(text);
  if (!document) {
    document = parsePolicy(text);
    if (parsed.size >= 256) parsed.delete(parsed.keys().next().value!);
    parsed.set(text, document);
  }
  return document;
}

export function decide(caller: Caller, action: string, record: KeyRecord, facts: RequestFacts = {}, policy = policyOf(record)): AccessDecision {
  return decideAccess(policy, identityPoliciesOf(caller), {
    principal: caller.principal,
    action,
    resource: recordArn(record),
    keys: requestKeys(caller, { ...facts, keySpec: record.keySpec, keyUsage: record.keyUsage }),
  });
}

/**
 * Allowed when the policies allow (access.ts), or when they are silent and a
 * grant allows; an explicit Deny in the key policy or an identity policy
 * overrides every grant. Returns the grant that allowed the request, if it
 * was a grant.
 */
export function authorize(
  caller: Caller,
  action: string,
  record: KeyRecord,
  facts: RequestFacts = {},
  grants: Iterable<Grant> = [],
): Grant | undefined {
  const decision = decide(caller, action, record, facts);
  if (decision.decision === 'Allow') return undefined;
  const grant = decision.decision === 'ImplicitDeny' ? findGrant(grants, caller, action, facts) : undefined;
  if (grant) return grant;
  throw new AccessDeniedException(accessDeniedMessage(caller.principal.arn, action, recordArn(record), decision));
}

/**
 * PutKeyPolicy's lockout safety check, as in AWS KMS: a new policy must still
 * let the caller change the policy, or the key could become unmanageable.
 * The caller's identity policies count, as they would for the next
 * PutKeyPolicy: a policy that names only the account root passes for a
 * caller whose identity policies allow kms:PutKeyPolicy, and fails for one
 * whose do not.
 */
export function checkLockout(caller: Caller, record: KeyRecord, policyText: string): void {
  if (decide(caller, 'kms:PutKeyPolicy', record, {}, parsePolicy(policyText)).decision !== 'Allow') {
    throw new MalformedPolicyDocumentException(
      'The new key policy will not allow you to update the key policy in the future.',
    );
  }
}
