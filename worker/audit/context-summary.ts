import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { canonicalKeys, contextBytes, encodeEncryptionContext, type EncryptionContext } from '../wire/encryption-context';
import type { AuditEntry, ContextSummary } from './record';

/**
 * How much of a request's encryption context its audit record keeps. Up to
 * AUDIT_CONTEXT_VERBATIM_BYTES (as stored: its JSON's UTF-8 bytes) the
 * context is kept verbatim, as CloudTrail logs it. Past that, the record
 * keeps a summary instead: the SHA-256 of the context's canonical encoding
 * (the bytes its ciphertext binds as AAD, so whoever holds the context can
 * match it to the record), its size, how many pairs it has, and as many of
 * its key names as fit in AUDIT_CONTEXT_KEYS_BYTES. Either way a record
 * holds at most AUDIT_CONTEXT_VERBATIM_BYTES of context, however large the
 * request (audit storage grows with requests, not with their size).
 */
export const AUDIT_CONTEXT_VERBATIM_BYTES = 4_096;
export const AUDIT_CONTEXT_KEYS_BYTES = 1_024;

const encoder = new TextEncoder();
const utf8Length = (text: string) => encoder.encode(text).length;

function summarize(context: EncryptionContext): ContextSummary {
  const all = canonicalKeys(context);
  const keys: string[] = [];
  // The JSON array's bytes: brackets, each name quoted and escaped, commas.
  let size = 2;
  for (const key of all) {
    const added = utf8Length(JSON.stringify(key)) + (keys.length > 0 ? 1 : 0);
    if (size + added > AUDIT_CONTEXT_KEYS_BYTES) break;
    keys.push(key);
    size += added;
  }
  return {
    sha256: bytesToHex(sha256(encodeEncryptionContext(context))),
    bytes: contextBytes(context),
    pairs: all.length,
    keys,
  };
}

/** The context fields of an audit entry for a request that carried `context`. */
export function auditedContext(context: EncryptionContext): Pick<AuditEntry, 'encryptionContext' | 'encryptionContextSummary'> {
  return utf8Length(JSON.stringify(context)) <= AUDIT_CONTEXT_VERBATIM_BYTES ? { encryptionContext: context } : { encryptionContextSummary: summarize(context) };
}
