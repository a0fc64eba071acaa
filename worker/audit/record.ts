import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

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

/**
 * The fields in a fixed order: the byte string the hash covers. Fields added
 * later are appended only when present, so every record written before them
 * keeps its hash and old chains still verify. Each later group brings the
 * groups before it (null when absent), so a field's position names it.
 */
function canonical(sequence: number, entry: AuditEntry, previousHash: string): string {
  const counted = [entry.count ?? null, entry.windowStart ?? null];
  const added = entry.encryptionContextSummary !== undefined
    ? [...counted, summaryFields(entry.encryptionContextSummary)]
    : entry.count !== undefined ? counted : [];
  return JSON.stringify([
    sequence,
    entry.time,
    entry.requestId,
    entry.principal,
    entry.account,
    entry.operation,
    entry.keyId ?? null,
    entry.keyVersion ?? null,
    entry.encryptionContext ? Object.entries(entry.encryptionContext).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : null,
    entry.outcome,
    entry.errorName ?? null,
    entry.sourceIp ?? null,
    entry.userAgent ?? null,
    previousHash,
    ...added,
  ]);
}

function summaryFields(summary: ContextSummary): unknown[] {
  return [summary.sha256, summary.bytes, summary.pairs, summary.keys];
}

/** Synchronous on purpose: appending must not yield, or two requests could chain onto the same head. */
export function recordHash(sequence: number, entry: AuditEntry, previousHash: string): string {
  return bytesToHex(sha256(encoder.encode(canonical(sequence, entry, previousHash))));
}

/** The hash before the first record names the chain, so records cannot be moved between chains. */
export function genesisHash(chainId: string): string {
  return bytesToHex(sha256(encoder.encode(`edgekms audit chain ${chainId}`)));
}
