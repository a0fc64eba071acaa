/**
 * AES-GCM with 12-byte IVs and 16-byte tags (the only parameters the format uses), and the HKDF
 * that derives a message's AES-GCM key: everything in the SDK that touches bulk or per-message
 * symmetric cryptography goes through this module, on WebCrypto. WebCrypto returns ciphertext and
 * tag as one buffer and takes them back the same way, which matches how frames and raw-AES
 * encrypted data keys lay them out.
 *
 * The package's `node` build replaces this module, and only this one, with aes-gcm.node.ts
 * (node:crypto, which is faster in Node for every size; sdk/node-build.mjs selects it). Both
 * export the same functions with the same behaviour, and the SDK's test files run on both.
 */
import type { Bytes } from '../bytes';
import { AuthenticationError } from '../errors';
import { madeHkdfDataKey } from './hkdf-data-keys';

let cachedSubtle: SubtleCrypto | undefined;

/** `crypto.subtle`, read once: the getter costs about 0.2 µs a call in Chromium, five times a message. */
function subtle(): SubtleCrypto {
  return (cachedSubtle ??= crypto.subtle);
}

/**
 * An AES-GCM key as this module holds it: a CryptoKey here, a node:crypto KeyObject in the Node
 * build. Opaque to the rest of the SDK, which only passes it back to this module.
 */
export type AesGcmKey = { readonly type: string };

/** Keys that may unwrap a data key straight into an HKDF key (aesGcmUnwrapDataKey). */
const unwrappingKeys = new WeakSet<CryptoKey>();

export async function importAesGcmKey(raw: Bytes): Promise<AesGcmKey> {
  const key = await subtle().importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt', 'unwrapKey']);
  unwrappingKeys.add(key);
  return key;
}

/** A caller's AES-GCM CryptoKey (already checked for its algorithm and usages) as this module's key. */
export function aesGcmKeyFromCryptoKey(key: CryptoKey): AesGcmKey {
  if (key.usages.includes('unwrapKey')) unwrappingKeys.add(key);
  return key;
}

/** Returns ciphertext followed by the 16-byte tag. */
export async function aesGcmSeal(key: AesGcmKey, iv: Bytes, aad: Bytes, plaintext: Bytes): Promise<Bytes> {
  const sealed = await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: aad, tagLength: 128 }, key as CryptoKey, plaintext);
  return new Uint8Array(sealed);
}

/**
 * Decrypts ciphertext-with-tag. Throws AuthenticationError when the tag does not verify, which is
 * the only way WebCrypto's decrypt fails on well-formed arguments.
 */
export async function aesGcmOpen(key: AesGcmKey, iv: Bytes, aad: Bytes, sealed: Bytes, what: string): Promise<Bytes> {
  try {
    const plaintext = await subtle().decrypt({ name: 'AES-GCM', iv, additionalData: aad, tagLength: 128 }, key as CryptoKey, sealed);
    return new Uint8Array(plaintext);
  } catch (error) {
    throw tagFailure(what, error);
  }
}

/** What a failed open or unwrap throws: WebCrypto rejects well-formed arguments only for a bad tag. */
function tagFailure(what: string, cause: unknown): AuthenticationError {
  return new AuthenticationError(`${what}: authentication tag did not verify`, { cause });
}

/**
 * Opens a wrapped data key (ciphertext-with-tag, as aesGcmOpen) of a committing suite: where `key`
 * may unwrap keys, straight into a non-extractable HKDF CryptoKey, one WebCrypto call where a
 * decrypt and an import are two (11 us against 20 in Chromium, issue 15), and the data key's bytes
 * never reach JavaScript; else its bytes, as aesGcmOpen. AuthenticationError if the tag fails.
 */
export async function aesGcmUnwrapDataKey(key: AesGcmKey, iv: Bytes, aad: Bytes, sealed: Bytes, what: string): Promise<Bytes | CryptoKey> {
  if (!unwrappingKeys.has(key as CryptoKey)) return aesGcmOpen(key, iv, aad, sealed, what);
  try {
    const params = { name: 'AES-GCM', iv, additionalData: aad, tagLength: 128 };
    return madeHkdfDataKey(await subtle().unwrapKey('raw', sealed, key as CryptoKey, params, 'HKDF', false, ['deriveKey', 'deriveBits']));
  } catch (error) {
    throw tagFailure(what, error);
  }
}

export interface HkdfAesGcmRequest {
  /** HKDF input keying material: bytes, or an HKDF CryptoKey usable for deriveKey and deriveBits. */
  readonly input: Bytes | CryptoKey;
  readonly salt: Bytes;
  /** Info for the AES-GCM key, `keyLength` bytes. */
  readonly keyInfo: Bytes;
  readonly keyLength: number;
  /** Info for the second output, `bitsLength` bytes, returned as bytes. */
  readonly bitsInfo: Bytes;
  readonly bitsLength: number;
}

/**
 * HKDF-SHA512 twice over one input and salt: a non-extractable AES-GCM key and some bytes. Both
 * derivations go to WebCrypto at once, so they overlap. (Hashing in JavaScript instead, to save
 * WebCrypto calls, measured slower in Chromium: @noble/hashes' SHA-512 costs more there than a
 * WebCrypto round trip.)
 */
export async function hkdfSha512AesGcmKey(request: HkdfAesGcmRequest): Promise<{ key: AesGcmKey; bits: Bytes }> {
  const { input, salt } = request;
  const hkdfKey =
    input instanceof Uint8Array ? await subtle().importKey('raw', input, 'HKDF', false, ['deriveKey', 'deriveBits']) : input;
  const [key, bits] = await Promise.all([
    subtle().deriveKey(
      { name: 'HKDF', hash: 'SHA-512', salt, info: request.keyInfo },
      hkdfKey,
      { name: 'AES-GCM', length: request.keyLength * 8 },
      false,
      ['encrypt', 'decrypt'],
    ),
    subtle().deriveBits({ name: 'HKDF', hash: 'SHA-512', salt, info: request.bitsInfo }, hkdfKey, request.bitsLength * 8),
  ]);
  return { key, bits: new Uint8Array(bits) };
}
