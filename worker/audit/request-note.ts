/**
 * What the audit middleware needs to learn from an API request's operation:
 * whether a key's own chain recorded it, so that each request lands in
 * exactly one chain (the key's, or else the account's). The middleware makes
 * one per request and passes it to the operation; the key handles of
 * operations/context.ts fill it in from the key object's results
 * (`Result.audited`).
 */
export interface RequestAudit {
  recordedByKey: boolean;
  /** The records the request's key chains appended, in order (a ReEncrypt has two): its answer's receipts. */
  receipts: AuditReceipt[];
  /** The key an account-chain record is about, when the request named one (the alias operations). */
  keyId?: string;
}

export function newRequestAudit(): RequestAudit {
  return { recordedByKey: false, receipts: [] };
}

/** Where a key's chain recorded a request: the chain (a key id, in its account and region), the sequence number and the record's hash. */
export interface AuditReceipt {
  keyId: string;
  /** The chain's source: the key id, or `<key id>#<n>` for the chain of a key's replica n (replicas.ts). */
  chain: string;
  account: string;
  region: string;
  sequence: number;
  hash: string;
}
