import type { Caller } from '../auth/caller';
import { AccessDeniedException, MalformedPolicyDocumentException } from '../errors';
import { defaultKeyPolicy } from '../policy/default-policy';
import { parsePolicy, type PolicyDocument } from '../policy/document';
import { evaluatePolicy, type Decision } from '../policy/evaluate';
import { requestKeys, type RequestFacts } from '../policy/request-keys';
import { findGrant, type Grant } from './grants';
import { recordArn, type KeyRecord } from './key-record';

/**
 * The authorization decision for one action on one key, taken inside the
 * key's Durable Object with the key's policy as it is at that moment.
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

export function decide(caller: Caller, action: string, record: KeyRecord, facts: RequestFacts = {}, policy = policyOf(record)): Decision {
  return evaluatePolicy(policy, {
    principal: caller.principal,
    action,
    resource: recordArn(record),
    keys: requestKeys(caller, { ...facts, keySpec: record.keySpec, keyUsage: record.keyUsage }),
  });
}

/**
 * Allowed when the key policy allows, or when it is silent and a grant
 * allows; an explicit Deny in the policy overrides every grant. Returns the
 * grant that allowed the request, if it was a grant.
 */
export function authorize(
  caller: Caller,
  action: string,
  record: KeyRecord,
  facts: RequestFacts = {},
  grants: Iterable<Grant> = [],
): Grant | undefined {
  const decision = decide(caller, action, record, facts);
  if (decision === 'Allow') return undefined;
  const grant = decision === 'ImplicitDeny' ? findGrant(grants, caller, action, facts) : undefined;
  if (grant) return grant;
  throw new AccessDeniedException(`${caller.principal.arn} is not authorized to perform ${action} on ${recordArn(record)}.`);
}

/**
 * PutKeyPolicy's lockout safety check, as in AWS KMS: a new policy must still
 * let the caller change the policy, or the key could become unmanageable.
 */
export function checkLockout(caller: Caller, record: KeyRecord, policyText: string): void {
  if (decide(caller, 'kms:PutKeyPolicy', record, {}, parsePolicy(policyText)) !== 'Allow') {
    throw new MalformedPolicyDocumentException(
      'The new key policy would not allow you to update the key policy in the future (set BypassPolicyLockoutSafetyCheck to override).',
    );
  }
}
