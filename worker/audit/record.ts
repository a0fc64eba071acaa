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
  encryptionContext?: Record<string, string>;
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

export interface AuditRecord extends AuditEntry {
  sequence: number;
  previousHash: string;
  hash: string;
}

const encoder = new TextEncoder();

/**
 * The fields in a fixed order: the byte string the hash covers. Fields added
 * later are appended only when present, so every record written before them
 * keeps its hash and old chains still verify.
 */
function canonical(sequence: number, entry: AuditEntry, previousHash: string): string {
  const added = entry.count !== undefined ? [entry.count, entry.windowStart ?? null] : [];
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

/** Synchronous on purpose: appending must not yield, or two requests could chain onto the same head. */
export function recordHash(sequence: number, entry: AuditEntry, previousHash: string): string {
  return bytesToHex(sha256(encoder.encode(canonical(sequence, entry, previousHash))));
}

/** The hash before the first record names the chain, so records cannot be moved between chains. */
export function genesisHash(chainId: string): string {
  return bytesToHex(sha256(encoder.encode(`edgekms audit chain ${chainId}`)));
}
