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
import { madeHkdfDataKey } from './hkdf-data-keys';
import { tagFailure } from './tag-failure';

let cachedSubtle: SubtleCrypto | undefined;

/** `crypto.subtle`, read once: the getter costs about 0.2 µs a call in Chromium, five times a message. */
function subtle(): SubtleCrypto {
  return (cachedSubtle ??= crypto.subtle);
}

/**
 * Where small arguments go to WebCrypto from. In Chromium each BufferSource that is a JavaScript
 * object WebCrypto has not been given before costs about a microsecond more (a view of a new
 * buffer more still), and a 1 KiB message passes about a dozen of them, all new: the views a
 * parse makes, fresh IVs and AADs. Copied into a view of its own length that was passed before,
 * the same bytes cost a few nanoseconds to copy and nothing more to pass (issue 15). WebCrypto
 * takes a copy of every argument when called, so a view is free again as soon as the call has
 * returned; one that held a plaintext or a key is zeroed then.
 */
class ScratchViews {
  private readonly views = new Map<number, Bytes>();

  hold(bytes: Bytes): Bytes {
    const length = bytes.byteLength;
    if (length > SCRATCH_LIMIT) return bytes;
    let view = this.views.get(length);
    if (view === undefined) {
      // Lengths come from messages; a few dozen views are plenty to keep.
      if (this.views.size >= 64) this.views.clear();
      view = new Uint8Array(length);
      this.views.set(length, view);
    }
    view.set(bytes);
    return view;
  }
}

const SCRATCH_LIMIT = 4096;
const scratchIvs = new ScratchViews();
const scratchAads = new ScratchViews();
const scratchInputs = new ScratchViews();
const scratchSalts = new ScratchViews();

/**
 * Makes `call` with a scratch copy of `secret` (a plaintext or a key), and zeroes the copy as soon
 * as the call has returned (a secret too long to copy is passed as it is, and left alone).
 */
function withHeldSecret<T>(secret: Bytes, call: (held: Bytes) => Promise<T>): Promise<T> {
  const held = scratchInputs.hold(secret);
  try {
    return call(held);
  } finally {
    if (held !== secret) held.fill(0);
  }
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
  const params = { name: 'AES-GCM', iv: scratchIvs.hold(iv), additionalData: scratchAads.hold(aad), tagLength: 128 };
  return new Uint8Array(await withHeldSecret(plaintext, (input) => subtle().encrypt(params, key as CryptoKey, input)));
}

/**
 * Decrypts ciphertext-with-tag. Throws AuthenticationError when the tag does not verify, which is
 * the only way WebCrypto's decrypt fails on well-formed arguments.
 */
export async function aesGcmOpen(key: AesGcmKey, iv: Bytes, aad: Bytes, sealed: Bytes, what: string): Promise<Bytes> {
  try {
    const plaintext = await subtle().decrypt(
      { name: 'AES-GCM', iv: scratchIvs.hold(iv), additionalData: scratchAads.hold(aad), tagLength: 128 },
      key as CryptoKey,
      scratchInputs.hold(sealed),
    );
    return new Uint8Array(plaintext);
  } catch (error) {
    throw tagFailure(what, error);
  }
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
    const params = { name: 'AES-GCM', iv: scratchIvs.hold(iv), additionalData: scratchAads.hold(aad), tagLength: 128 };
    return madeHkdfDataKey(await subtle().unwrapKey('raw', scratchInputs.hold(sealed), key as CryptoKey, params, 'HKDF', false, ['deriveKey', 'deriveBits']));
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
  const { input } = request;
  const hkdfKey =
    input instanceof Uint8Array ? await withHeldSecret(input, (held) => subtle().importKey('raw', held, 'HKDF', false, ['deriveKey', 'deriveBits'])) : input;
  const salt = scratchSalts.hold(request.salt);
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
