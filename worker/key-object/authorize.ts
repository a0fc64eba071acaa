import type { Caller } from '../auth/caller';
import { AccessDeniedException } from '../errors';
import type { KeyRecord } from './key-record';

/**
 * The authorization decision for one action on one key, taken inside the
 * key's Durable Object. Until key policies land, the rule is the default key
 * policy of AWS KMS for an account administrator: the account's own
 * administrator may do everything, and anyone else nothing (default deny).
 */
export function authorize({ principal }: Caller, action: string, record: KeyRecord): void {
  if (principal.isAccountAdmin && principal.account === record.account) return;
  throw new AccessDeniedException(`${principal.arn} is not authorized to perform ${action} on ${record.keyId}.`);
}
