import { InvalidCiphertextException, ValidationException } from '../errors';
import { HASH_LENGTH, type EncryptionAlgorithm, type HashName } from './key-specs';

const OAEP_HASH: Partial<Record<EncryptionAlgorithm, HashName>> = {
  RSAES_OAEP_SHA_1: 'SHA-1',
  RSAES_OAEP_SHA_256: 'SHA-256',
};

function oaepHash(algorithm: EncryptionAlgorithm): HashName {
  const hash = OAEP_HASH[algorithm];
  if (!hash) throw new Error('unreachable');
  return hash;
}

/** OAEP fits k - 2·hLen - 2 bytes of plaintext in a k-byte modulus. */
export function maxOaepPlaintext(modulusBits: number, algorithm: EncryptionAlgorithm): number {
  return modulusBits / 8 - 2 * HASH_LENGTH[oaepHash(algorithm)] - 2;
}

export async function rsaEncrypt(
  spki: Uint8Array,
  modulusBits: number,
  algorithm: EncryptionAlgorithm,
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  const limit = maxOaepPlaintext(modulusBits, algorithm);
  if (plaintext.length > limit) {
    throw new ValidationException(`${algorithm} with this key encrypts at most ${limit} bytes.`);
  }
  const key = await crypto.subtle.importKey('spki', spki, { name: 'RSA-OAEP', hash: oaepHash(algorithm) }, false, ['encrypt']);
  return new Uint8Array(await crypto.subtle.encrypt({ name: 'RSA-OAEP' }, key, plaintext));
}

export async function rsaDecrypt(
  pkcs8: Uint8Array,
  algorithm: EncryptionAlgorithm,
  ciphertext: Uint8Array,
): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'RSA-OAEP', hash: oaepHash(algorithm) }, false, ['decrypt']);
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: 'RSA-OAEP' }, key, ciphertext));
  } catch {
    throw new InvalidCiphertextException('The ciphertext is invalid for this key and algorithm.');
  }
}
