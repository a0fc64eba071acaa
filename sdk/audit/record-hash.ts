import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { AUDIT_FIELDS, type AuditField } from './record-fields';

/**
 * One audit record: who asked for what, on which key and version, with which
 * encryption context, and how it ended. Never plaintext, data keys or key
 * material. Each record's hash covers its fields and its predecessor's hash,
 * so an edited or removed record breaks the chain from there on.
 */
export type Outcome = 'Allowed' | 'Denied' | 'Failed';

export interface AuditEntry {
  time: number;
  requestId: string;
  principal: string;
  account: string;
  operation: string;
  keyId?: string;
  keyVersion?: number;
  /** The request's encryption context, verbatim while it is small (context-summary.ts)... */
  encryptionContext?: Record<string, string>;
  /** ...or, in its place, a digest of a larger one with its key names. */
  encryptionContextSummary?: ContextSummary;
  outcome: Outcome;
  errorName?: string;
  sourceIp?: string;
  userAgent?: string;
  /**
   * Only in an `edgekms:Throttled` record (throttled-tally.ts): how many
   * throttled requests of `principal` it stands for, in the window that
   * began at `windowStart` (epoch ms) with a throttled request of its own record.
   */
  count?: number;
  windowStart?: number;
}

/** What a record keeps of an encryption context too large to store verbatim (context-summary.ts). */
export interface ContextSummary {
  /** SHA-256, hex, of the context's canonical encoding: the bytes its ciphertext binds as AAD. */
  sha256: string;
  /** The UTF-8 bytes of its keys and values together. */
  bytes: number;
  /** How many key/value pairs it has. */
  pairs: number;
  /** Its key names in canonical order, as many as fit the summary's bound; `pairs` says whether all did. */
  keys: string[];
}

export interface AuditRecord extends AuditEntry {
  sequence: number;
  previousHash: string;
  hash: string;
}

const encoder = new TextEncoder();

/** The hashed fields by group, each group in the table's order (fields.ts). */
const HASH_GROUPS: AuditField[][] = [];
for (const field of AUDIT_FIELDS as readonly AuditField[]) {
  if (field.hashGroup !== undefined) (HASH_GROUPS[field.hashGroup] ??= []).push(field);
}

function hashValue(field: AuditField, value: unknown): unknown {
  if (value === undefined) return null;
  if (field.hashAs === 'sortedEntries') return Object.entries(value as Record<string, string>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (field.hashAs === 'summary') {
    const summary = value as ContextSummary;
    return [summary.sha256, summary.bytes, summary.pairs, summary.keys];
  }
  return value;
}

/**
 * The byte string the hash covers: the fields of group 0, then those of
 * every later group up to the last one the record has a field of (fields.ts
 * says why), each null when absent.
 */
function canonical(sequence: number, entry: AuditEntry, previousHash: string): string {
  const fields: Partial<AuditRecord> = { ...entry, sequence, previousHash };
  const has = (group: AuditField[]) => group.some((field) => fields[field.name] !== undefined);
  let groups = HASH_GROUPS.length;
  while (groups > 1 && !has(HASH_GROUPS[groups - 1]!)) groups--;
  return JSON.stringify(HASH_GROUPS.slice(0, groups).flatMap((group) => group.map((field) => hashValue(field, fields[field.name]))));
}

/** Synchronous on purpose: appending must not yield, or two requests could chain onto the same head. */
export function recordHash(sequence: number, entry: AuditEntry, previousHash: string): string {
  return bytesToHex(sha256(encoder.encode(canonical(sequence, entry, previousHash))));
}

/** The hash before the first record names the chain, so records cannot be moved between chains. */
export function genesisHash(chainId: string): string {
  return bytesToHex(sha256(encoder.encode(`edgekms audit chain ${chainId}`)));
}
