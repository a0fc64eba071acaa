import type { AuditRecord } from './record-hash';

/**
 * The one list of an audit record's fields. The audit table's columns
 * (worker/audit/chain.ts: CREATE TABLE, the columns older tables gain, the
 * INSERT, the row mapping), the byte string its hash covers (record-hash.ts)
 * and the names the audit API gives them (worker/operations/audit.ts) are all
 * read from here, so a field is added in one place. It lives in the SDK
 * because a client verifying a receipt (verify-receipt.ts) reads records by
 * their wire names and hashes them in this order; it is pure data.
 *
 * The order of the rows is the hash order, a stored format: every chain ever
 * written must still verify (test/workers/audit-hash-order.test.ts pins it).
 * Group 0 is the fields of the first release, hashed always, null when
 * absent. Each later group was added by a later release and is hashed only
 * in records that have one of its fields, together with every group between
 * it and group 0 (null when absent), so that a value's position names its
 * field and a record written before a group existed keeps its hash. A new
 * field goes at the end, in a new group; columns are never renamed (stored
 * rows keep their names).
 */
export interface AuditField {
  /** The property of an AuditRecord. */
  name: keyof AuditRecord;
  /** Its column in the audit table. */
  column: string;
  type: 'INTEGER' | 'TEXT';
  /** In every record (NOT NULL); an optional field's column is null when the record has none. */
  required?: true;
  /** Stored as JSON text (an object or array). */
  json?: true;
  /** Its hash group (see above); absent for the hash itself. */
  hashGroup?: number;
  /** How the hash input holds it, if not as is: a map as its [key, value] pairs in key order; a context summary as its values in field order. */
  hashAs?: 'sortedEntries' | 'summary';
  /** Its name in ListAuditRecords. */
  wire: string;
  /** How the API writes it: epoch milliseconds as seconds, as the AWS API writes times; a context summary with capitalized names. */
  wireAs?: 'seconds' | 'summary';
}

export const AUDIT_FIELDS = [
  { name: 'sequence', column: 'seq', type: 'INTEGER', required: true, hashGroup: 0, wire: 'Sequence' },
  { name: 'time', column: 'time', type: 'INTEGER', required: true, hashGroup: 0, wire: 'Time', wireAs: 'seconds' },
  { name: 'requestId', column: 'request_id', type: 'TEXT', required: true, hashGroup: 0, wire: 'RequestId' },
  { name: 'principal', column: 'principal', type: 'TEXT', required: true, hashGroup: 0, wire: 'Principal' },
  { name: 'account', column: 'account', type: 'TEXT', required: true, hashGroup: 0, wire: 'Account' },
  { name: 'operation', column: 'operation', type: 'TEXT', required: true, hashGroup: 0, wire: 'Operation' },
  { name: 'keyId', column: 'key_id', type: 'TEXT', hashGroup: 0, wire: 'KeyId' },
  { name: 'keyVersion', column: 'key_version', type: 'INTEGER', hashGroup: 0, wire: 'KeyVersion' },
  { name: 'encryptionContext', column: 'encryption_context', type: 'TEXT', json: true, hashGroup: 0, hashAs: 'sortedEntries', wire: 'EncryptionContext' },
  { name: 'outcome', column: 'outcome', type: 'TEXT', required: true, hashGroup: 0, wire: 'Outcome' },
  { name: 'errorName', column: 'error_name', type: 'TEXT', hashGroup: 0, wire: 'ErrorName' },
  { name: 'sourceIp', column: 'source_ip', type: 'TEXT', hashGroup: 0, wire: 'SourceIp' },
  { name: 'userAgent', column: 'user_agent', type: 'TEXT', hashGroup: 0, wire: 'UserAgent' },
  { name: 'previousHash', column: 'prev_hash', type: 'TEXT', required: true, hashGroup: 0, wire: 'PreviousHash' },
  // Throttled-request counts (throttled-tally.ts).
  { name: 'count', column: 'request_count', type: 'INTEGER', hashGroup: 1, wire: 'Count' },
  { name: 'windowStart', column: 'window_start', type: 'INTEGER', hashGroup: 1, wire: 'WindowStart', wireAs: 'seconds' },
  // Summaries of large encryption contexts (context-summary.ts).
  { name: 'encryptionContextSummary', column: 'encryption_context_summary', type: 'TEXT', json: true, hashGroup: 2, hashAs: 'summary', wire: 'EncryptionContextSummary', wireAs: 'summary' },
  { name: 'hash', column: 'hash', type: 'TEXT', required: true, wire: 'Hash' },
] as const satisfies readonly AuditField[];

/** Every property of an AuditRecord has a row above: a field added to the type without one does not compile. */
type Unlisted = Exclude<keyof AuditRecord, (typeof AUDIT_FIELDS)[number]['name']>;
const everyFieldListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyFieldListed;

const byName = new Map<string, AuditField>(AUDIT_FIELDS.map((field) => [field.name, field]));

/** The column of a field, for queries that filter on it. */
export function auditColumn(name: keyof AuditRecord): string {
  return byName.get(name)!.column;
}
