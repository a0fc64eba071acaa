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
 * which unlike JSON needs no escaping of the bytes), so a repeated context or
 * message costs a string lookup instead of three or more SHA-512s in JavaScript, which in
 * Chromium cost more than the cache saves. Equal keys mean equal inputs, so a remembered
 * identifier is the one computing would give. Holds only what identifiers are made of (contexts
 * and encrypted data keys, which are not secret), at most `capacity` of them.
 *
 * A parsed header's keys and context are remembered by the header bytes they were read from
 * instead (format.ts, parsedKeyFields), which determine them exactly: found by a hash of those
 * bytes and then compared with a copy of them byte for byte, which costs a fraction of building
 * any string of them (about 2 µs a message in Node, a third of what a decryption cache hit saves;
 * issue 15). A hash shared by other bytes only replaces the remembered entry.
 */
export class CacheIdMemo {
  private readonly ids = new Map<string, string>();
  private readonly byHeaderBytes = new Map<number, { readonly suiteId: number; readonly bytes: Bytes; readonly id: string }>();
  /**
   * `seed` (tests only): the header bytes' hash starts from it. By default it is random per memo,
   * so which header bytes share a hash cannot be known in advance.
   */
  constructor(
    private readonly capacity = 256,
    private readonly seed = crypto.getRandomValues(new Uint32Array(1))[0]! | 0,
  ) {}

  encryption(partitionHash: Bytes, suite: AlgorithmSuite, context: EncryptionContext): string {
    const key = `e${suite.id}|${contextKey(context)}`;
    return this.remember(key, () => encryptionCacheId(partitionHash, suite, context));
  }

  decryption(partitionHash: Bytes, suite: AlgorithmSuite, encryptedDataKeys: readonly EncryptedDataKey[], context: EncryptionContext): string {
    const compute = () => decryptionCacheId(partitionHash, suite, encryptedDataKeys, context);
    const read = parsedKeyFields(encryptedDataKeys, context);
    if (read !== undefined) return this.rememberHeaderBytes(suite, read, compute);
    let key = `d${suite.id}|${field(String(encryptedDataKeys.length))}`;
    for (const edk of encryptedDataKeys) key += field(edk.providerId) + field(binaryString(edk.providerInfo)) + field(binaryString(edk.ciphertext));
    key += contextKey(context);
    return this.remember(key, compute);
  }

  private remember(key: string, compute: () => string): string {
    const known = this.ids.get(key);
    if (known !== undefined) return known;
    const id = compute();
    setBounded(this.ids, key, id, this.capacity);
    return id;
  }

  private rememberHeaderBytes(suite: AlgorithmSuite, bytes: Bytes, compute: () => string): string {
    const hash = fnv1a(bytes, this.seed);
    const known = this.byHeaderBytes.get(hash);
    if (known !== undefined && known.suiteId === suite.id && compareBytes(known.bytes, bytes) === 0) return known.id;
    const id = compute();
    this.byHeaderBytes.delete(hash);
    // parsedKeyFields' bytes are a copy nobody writes to, so they are kept as they are.
    setBounded(this.byHeaderBytes, hash, { suiteId: suite.id, bytes, id }, this.capacity);
    return id;
  }
}

/** Sets `key` last in `map`, first dropping the oldest entry if `map` already holds `capacity`. */
function setBounded<K, V>(map: Map<K, V>, key: K, value: V, capacity: number): void {
  if (map.size >= capacity) map.delete(map.keys().next().value as K);
  map.set(key, value);
}

/**
 * FNV-1a of `bytes`, started from `seed`, cut to 30 bits: where to look, never a proof of
 * equality. Kept in signed 32-bit integers throughout (`>>> 0` made it run on doubles, ten times
 * slower), and 30 bits are a small integer, which V8 hashes as a Map key without allocating.
 */
export function fnv1a(bytes: Uint8Array, seed: number): number {
  let hash = 0x811c9dc5 ^ seed;
  const length = bytes.length;
  for (let i = 0; i < length; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash & 0x3fffffff;
}
