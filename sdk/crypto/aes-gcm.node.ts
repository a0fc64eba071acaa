/**
 * The Node build's aes-gcm.ts (selected by sdk/node-build.mjs for the package's `node`
 * condition): the same functions on node:crypto, which in Node beats WebCrypto at every size
 * (no hop to libuv's thread pool, no copy of the input, and for small inputs far less overhead
 * per call). Nothing else in the SDK differs between the builds, and the SDK's test files run on
 * both (vitest projects sdk-node and sdk-node-webcrypto).
 *
 * Decryption returns nothing until the tag has verified: `final()` checks it, and the plaintext
 * `update()` produced is dropped when it throws.
 */
import { KeyObject, createCipheriv, createDecipheriv, createSecretKey, hkdfSync } from 'node:crypto';
import type { Bytes } from '../bytes';
import { AuthenticationError } from '../errors';

export type AesGcmKey = { readonly type: string };

const TAG_LENGTH = 16;

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
  const key = createSecretKey(raw);
  cipherName(key);
  return key;
}

export function aesGcmKeyFromCryptoKey(key: CryptoKey): AesGcmKey {
  return KeyObject.from(key);
}

/** Returns ciphertext followed by the 16-byte tag, in an ArrayBuffer of its own. */
export async function aesGcmSeal(key: AesGcmKey, iv: Bytes, aad: Bytes, plaintext: Bytes): Promise<Bytes> {
  const keyObject = key as KeyObject;
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
  const keyObject = key as KeyObject;
  if (sealed.byteLength < TAG_LENGTH) throw new AuthenticationError(`${what}: authentication tag did not verify`);
  const length = sealed.byteLength - TAG_LENGTH;
  const decipher = createDecipheriv(cipherName(keyObject), keyObject, iv, { authTagLength: TAG_LENGTH });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(length));
  const plaintext = new Uint8Array(length);
  plaintext.set(decipher.update(sealed.subarray(0, length)), 0);
  try {
    decipher.final();
  } catch (error) {
    plaintext.fill(0);
    throw new AuthenticationError(`${what}: authentication tag did not verify`, { cause: error });
  }
  return plaintext;
}

export interface HkdfAesGcmRequest {
  readonly input: Bytes | CryptoKey;
  readonly salt: Bytes;
  readonly keyInfo: Bytes;
  readonly keyLength: number;
  readonly bitsInfo: Bytes;
  readonly bitsLength: number;
}

/** A cached data key's KeyObject, made once per CryptoKey. */
const keyObjects = new WeakMap<CryptoKey, KeyObject>();

/**
 * hkdfSync with a KeyObject: given bytes, it would make a KeyObject of them on every call, which
 * costs more than the derivation; so the input becomes one KeyObject for both.
 */
export async function hkdfSha512AesGcmKey(request: HkdfAesGcmRequest): Promise<{ key: AesGcmKey; bits: Bytes }> {
  const { input, salt } = request;
  let ikm: KeyObject;
  if (input instanceof Uint8Array) {
    ikm = createSecretKey(input);
  } else {
    ikm = keyObjects.get(input) ?? KeyObject.from(input);
    keyObjects.set(input, ikm);
  }
  const keyBytes = new Uint8Array(hkdfSync('sha512', ikm, salt, request.keyInfo, request.keyLength));
  const key = createSecretKey(keyBytes);
  keyBytes.fill(0);
  const bits = new Uint8Array(hkdfSync('sha512', ikm, salt, request.bitsInfo, request.bitsLength));
  return { key, bits };
}
