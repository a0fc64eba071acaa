/**
 * AES-GCM through WebCrypto, with 12-byte IVs and 16-byte tags (the only parameters the format
 * uses). WebCrypto returns ciphertext and tag as one buffer and takes them back the same way,
 * which matches how frames and raw-AES encrypted data keys lay them out.
 */
import type { Bytes } from '../bytes';
import { AuthenticationError } from '../errors';

export async function importAesGcmKey(raw: Bytes): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

/** Returns ciphertext followed by the 16-byte tag. */
export async function aesGcmSeal(key: CryptoKey, iv: Bytes, aad: Bytes, plaintext: Bytes): Promise<Bytes> {
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: aad, tagLength: 128 },
    key,
    plaintext,
  );
  return new Uint8Array(sealed);
}

/**
 * Decrypts ciphertext-with-tag. Throws AuthenticationError when the tag does not verify, which is
 * the only way WebCrypto's decrypt fails on well-formed arguments.
 */
export async function aesGcmOpen(key: CryptoKey, iv: Bytes, aad: Bytes, sealed: Bytes, what: string): Promise<Bytes> {
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv, additionalData: aad, tagLength: 128 },
      key,
      sealed,
    );
    return new Uint8Array(plaintext);
  } catch (error) {
    throw new AuthenticationError(`${what}: authentication tag did not verify`, { cause: error });
  }
}
