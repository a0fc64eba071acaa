/**
 * Cache entry identifiers (spec: framework/caching-cmm.md, Appendix A), as lowercase hex of a
 * SHA-512 digest:
 *   encryption: SHA512(SHA512(partition) | 0x01 | suite id | SHA512(context))
 *   decryption: SHA512(SHA512(partition) | suite id | sorted SHA512(EDK)… | 64 zero bytes | SHA512(context))
 * where the context is serialized canonically and an EDK as in the message header.
 *
 * SHA-512 here is @noble/hashes' (already the signer's hash): synchronous, and for inputs this
 * small about ten times faster than a round trip through crypto.subtle.digest, which matters on
 * every cache hit.
 */
import { sha512 as nobleSha512 } from '@noble/hashes/sha2.js';
import { type Bytes, compareBytes, concatBytes, utf8 } from '../bytes';
import { parsedKeyFields, serializeEncryptionContext } from '../format';
import type { EncryptedDataKey, EncryptionContext } from '../materials';
import type { AlgorithmSuite } from '../suites';

function sha512(bytes: Uint8Array): Bytes {
  return nobleSha512(bytes) as Bytes;
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

function suiteIdBytes(suite: AlgorithmSuite): Bytes {
  return new Uint8Array([suite.id >> 8, suite.id & 0xff]);
}

function u16Prefixed(bytes: Uint8Array): Bytes {
  const out = new Uint8Array(2 + bytes.byteLength);
  out[0] = bytes.byteLength >> 8;
  out[1] = bytes.byteLength & 0xff;
  out.set(bytes, 2);
  return out;
}

function serializeEncryptedDataKey(edk: EncryptedDataKey): Bytes {
  return concatBytes([u16Prefixed(utf8(edk.providerId)), u16Prefixed(edk.providerInfo), u16Prefixed(edk.ciphertext)]);
}

/** SHA512(UTF8(partition)), the first part of every identifier; a manager computes it once. */
export function partitionDigest(partition: string): Bytes {
  return sha512(utf8(partition));
}

export function encryptionCacheId(partitionHash: Bytes, suite: AlgorithmSuite, context: EncryptionContext): string {
  const contextHash = sha512(serializeEncryptionContext(context));
  return hex(sha512(concatBytes([partitionHash, new Uint8Array([0x01]), suiteIdBytes(suite), contextHash])));
}

export function decryptionCacheId(
  partitionHash: Bytes,
  suite: AlgorithmSuite,
  encryptedDataKeys: readonly EncryptedDataKey[],
  context: EncryptionContext,
): string {
  const contextHash = sha512(serializeEncryptionContext(context));
  const edkHashes = encryptedDataKeys.map((edk) => sha512(serializeEncryptedDataKey(edk))).sort(compareBytes);
  return hex(sha512(concatBytes([partitionHash, suiteIdBytes(suite), ...edkHashes, new Uint8Array(64), contextHash])));
}

/** Bytes as a string of char codes 0-255: a compact, exact text key. */
function binaryString(bytes: Uint8Array): string {
  if (bytes.byteLength <= 8192) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  let out = '';
  for (let i = 0; i < bytes.byteLength; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return out;
}

/** `text` with its length in front, so that joined fields cannot run into each other. */
function field(text: string): string {
  return `${text.length}:${text}`;
}

function contextKey(context: EncryptionContext): string {
  // Keys are unique, so string order is canonical here (the identifier itself uses UTF-8 order).
  const keys = Object.keys(context);
  if (keys.length > 1) keys.sort();
  let out = field(String(keys.length));
  for (const key of keys) out += field(key) + field(context[key]!);
  return out;
}

/**
 * The identifiers a manager computed last, by an exact text rendering of their inputs (the suite,
 * the sorted context and for decryption the EDKs' bytes, each field prefixed with its length,
 * which unlike JSON needs no escaping of the bytes; for a parsed header's keys and context, the
 * header bytes they were read from), so a repeated context or
 * message costs a string lookup instead of three or more SHA-512s in JavaScript, which in
 * Chromium cost more than the cache saves. Equal keys mean equal inputs, so a remembered
 * identifier is the one computing would give. Holds only what identifiers are made of (contexts
 * and encrypted data keys, which are not secret), at most `capacity` of them.
 */
export class CacheIdMemo {
  private readonly ids = new Map<string, string>();

  constructor(private readonly capacity = 256) {}

  encryption(partitionHash: Bytes, suite: AlgorithmSuite, context: EncryptionContext): string {
    const key = `e${suite.id}|${contextKey(context)}`;
    return this.remember(key, () => encryptionCacheId(partitionHash, suite, context));
  }

  decryption(partitionHash: Bytes, suite: AlgorithmSuite, encryptedDataKeys: readonly EncryptedDataKey[], context: EncryptionContext): string {
    // A parsed header's keys and context: the bytes they were read from, one string ("h"); the
    // prefixes keep the two renderings from ever meeting.
    const read = parsedKeyFields(encryptedDataKeys, context);
    let key: string;
    if (read !== undefined) {
      key = `h${suite.id}|${binaryString(read)}`;
    } else {
      key = `d${suite.id}|${field(String(encryptedDataKeys.length))}`;
      for (const edk of encryptedDataKeys) key += field(edk.providerId) + field(binaryString(edk.providerInfo)) + field(binaryString(edk.ciphertext));
      key += contextKey(context);
    }
    return this.remember(key, () => decryptionCacheId(partitionHash, suite, encryptedDataKeys, context));
  }

  private remember(key: string, compute: () => string): string {
    const known = this.ids.get(key);
    if (known !== undefined) return known;
    const id = compute();
    if (this.ids.size >= this.capacity) this.ids.delete(this.ids.keys().next().value as string);
    this.ids.set(key, id);
    return id;
  }
}
