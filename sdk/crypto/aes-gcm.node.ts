/**
 * The Node build's aes-gcm.ts (selected by sdk/node-build.mjs for the package's `node`
 * condition): the same functions on node:crypto, for every size. In Node, node:crypto beats
 * WebCrypto by far for small inputs (no hop to libuv's thread pool, far less overhead per call),
 * and on these machines for large ones too, although WebCrypto's calls run on the thread pool in
 * parallel: `npm run bench -- sdk` measured a 64 KiB message in 64 KiB frames at 589 against
 * 132 MB/s, a 1 MiB one at 987 against 379, and 64 MiB streams at 727 and 969 against 574 and
 * 384 MB/s (encrypt, decrypt), with less memory, since a frame's plaintext is the one buffer
 * node:crypto returns (issue 15). Its calls run on the main thread, so a buffer-API call on a
 * large message holds the event loop for about a millisecond per megabyte here, as the official
 * Node SDK's do. Nothing else in the SDK differs between the builds, and the SDK's test files run
 * on both (vitest projects sdk-node and sdk-node-webcrypto).
 *
 * Decryption returns nothing until the tag has verified: `final()` checks it, and the plaintext
 * `update()` produced is wiped and dropped when it throws.
 */
import { KeyObject, createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync } from 'node:crypto';
import type { Bytes } from '../bytes';
import { tagFailure } from './tag-failure';
// Types only (erased at build): the interface both builds implement.
import type { AesGcmKey, HkdfAesGcmRequest } from './aes-gcm';

export type { AesGcmKey, HkdfAesGcmRequest };

const TAG_LENGTH = 16;

/** This module's key: node:crypto's KeyObject. */
class NodeAesGcmKey {
  readonly type = 'secret';

  constructor(readonly keyObject: KeyObject) {
    cipherName(keyObject);
  }
}

/** The keys made for callers' own CryptoKeys, once each. */
const wrapped = new WeakMap<CryptoKey, NodeAesGcmKey>();

/**
 * This module's key for `key`: its own, or a WebCrypto AES-GCM CryptoKey made elsewhere in the
 * SDK (wrapped once), so no caller has to know which build it runs in.
 */
function nodeKeyOf(key: AesGcmKey): NodeAesGcmKey {
  if (key instanceof NodeAesGcmKey) return key;
  if (key instanceof CryptoKey) {
    const known = wrapped.get(key);
    if (known !== undefined) return known;
    const made = new NodeAesGcmKey(KeyObject.from(key));
    wrapped.set(key, made);
    return made;
  }
  throw new TypeError('not an AES-GCM key');
}

function cipherName(key: KeyObject): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  switch (key.symmetricKeySize) {
    case 16:
      return 'aes-128-gcm';
    case 24:
      return 'aes-192-gcm';
    case 32:
      return 'aes-256-gcm';
    default:
      throw new TypeError(`AES-GCM key of ${String(key.symmetricKeySize)} bytes`);
  }
}

export async function importAesGcmKey(raw: Bytes): Promise<AesGcmKey> {
  return new NodeAesGcmKey(createSecretKey(raw));
}

export function aesGcmKeyFromCryptoKey(key: CryptoKey): AesGcmKey {
  return nodeKeyOf(key);
}

/** Returns ciphertext followed by the 16-byte tag, in an ArrayBuffer of its own. */
export async function aesGcmSeal(key: AesGcmKey, iv: Bytes, aad: Bytes, plaintext: Bytes): Promise<Bytes> {
  const { keyObject } = nodeKeyOf(key);
  const cipher = createCipheriv(cipherName(keyObject), keyObject, iv, { authTagLength: TAG_LENGTH });
  cipher.setAAD(aad);
  const sealed = new Uint8Array(plaintext.byteLength + TAG_LENGTH);
  // GCM is a stream cipher: update gives exactly as many bytes as it is given, final none.
  sealed.set(cipher.update(plaintext), 0);
  cipher.final();
  sealed.set(cipher.getAuthTag(), plaintext.byteLength);
  return sealed;
}

/** Decrypts ciphertext-with-tag; AuthenticationError when the tag does not verify. */
export async function aesGcmOpen(key: AesGcmKey, iv: Bytes, aad: Bytes, sealed: Bytes, what: string): Promise<Bytes> {
  const { keyObject } = nodeKeyOf(key);
  if (sealed.byteLength < TAG_LENGTH) throw tagFailure(what);
  const length = sealed.byteLength - TAG_LENGTH;
  const decipher = createDecipheriv(cipherName(keyObject), keyObject, iv, { authTagLength: TAG_LENGTH });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(length));
  const output = decipher.update(sealed.subarray(0, length));
  const plaintext = ownBuffer(output);
  try {
    decipher.final();
  } catch (error) {
    // Both, in case update's bytes were copied out of a shared buffer.
    output.fill(0);
    plaintext.fill(0);
    throw tagFailure(what, error);
  }
  return plaintext;
}

/**
 * `output` as a Uint8Array over an ArrayBuffer of its own: update() returns such a Buffer (its
 * bytes are not copied again, which for a 256 KiB frame is a tenth of its decryption), and one
 * that shares a larger buffer (Node's pool, in principle) is copied.
 */
function ownBuffer(output: Buffer): Bytes {
  if (output.byteOffset === 0 && output.buffer.byteLength === output.byteLength) return new Uint8Array(output.buffer as ArrayBuffer, 0, output.byteLength);
  return Uint8Array.from(output);
}

/**
 * A wrapped data key's bytes: node:crypto opens it faster than WebCrypto could unwrap it into a
 * CryptoKey (which in Node keeps its bytes from nobody in the process anyway).
 */
export function aesGcmUnwrapDataKey(key: AesGcmKey, iv: Bytes, aad: Bytes, sealed: Bytes, what: string): Promise<Bytes | CryptoKey> {
  return aesGcmOpen(key, iv, aad, sealed, what);
}

/** A cached data key's KeyObject, made once per CryptoKey. */
const keyObjects = new WeakMap<CryptoKey, KeyObject>();

/**
 * HKDF-SHA512 (RFC 5869), both outputs from one input and salt, with node:crypto's HMAC: one
 * extract, then one expand block per output, since each is at most one SHA-512 block (64 bytes).
 * hkdfSync would extract twice, and measured 13.8 us a call against about 4.5 us an HMAC (in a
 * profile of 1 KiB cache hits it took 37% of the time).
 *
 * A cached data key comes as a non-extractable CryptoKey. In Node that keeps nothing from code in
 * the process (KeyObject.from exports any CryptoKey's bytes), so its bytes are exported here for
 * the extract and zeroed at once, as a keyring's raw data key is.
 */
export async function hkdfSha512AesGcmKey(request: HkdfAesGcmRequest): Promise<{ key: AesGcmKey; bits: Bytes }> {
  const { input, salt } = request;
  let ikm: KeyObject | undefined;
  if (!(input instanceof Uint8Array)) {
    ikm = keyObjects.get(input);
    if (ikm === undefined) {
      ikm = KeyObject.from(input);
      keyObjects.set(input, ikm);
    }
  }
  if (request.keyLength > SHA512_LENGTH || request.bitsLength > SHA512_LENGTH) {
    ikm ??= createSecretKey(input as Bytes);
    const keyBytes = new Uint8Array(hkdfSync('sha512', ikm, salt, request.keyInfo, request.keyLength));
    const key = new NodeAesGcmKey(createSecretKey(keyBytes));
    keyBytes.fill(0);
    return { key, bits: new Uint8Array(hkdfSync('sha512', ikm, salt, request.bitsInfo, request.bitsLength)) };
  }
  const exported = ikm?.export();
  // Extract: PRK = HMAC(salt, IKM); an empty salt is a block of zeros (RFC 5869, 2.2).
  const prk = createHmac('sha512', salt.byteLength > 0 ? salt : new Uint8Array(SHA512_LENGTH))
    .update(exported ?? (input as Bytes))
    .digest();
  exported?.fill(0);
  const keyBytes = expandOneBlock(prk, request.keyInfo, request.keyLength);
  const key = new NodeAesGcmKey(createSecretKey(keyBytes));
  keyBytes.fill(0);
  const bits = expandOneBlock(prk, request.bitsInfo, request.bitsLength);
  prk.fill(0);
  return { key, bits };
}

const SHA512_LENGTH = 64;
const BLOCK_COUNTER = new Uint8Array([1]);

/** T(1) = HMAC(PRK, info | 0x01), cut to `length` bytes: all of HKDF-Expand for up to 64 bytes. */
function expandOneBlock(prk: Uint8Array, info: Bytes, length: number): Bytes {
  const block = createHmac('sha512', prk).update(info).update(BLOCK_COUNTER).digest();
  const out = new Uint8Array(length);
  out.set(block.subarray(0, length));
  block.fill(0);
  return out;
}
