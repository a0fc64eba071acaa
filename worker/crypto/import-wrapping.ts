import { aeskwp } from '@noble/ciphers/aes.js';
import { InvalidCiphertextException } from '../errors';

/**
 * The wrapping of imported key material (GetParametersForImport,
 * ImportKeyMaterial), as AWS KMS defines it: the caller encrypts its material
 * under an RSA public key the key's object made for one import, either
 * directly with RSA-OAEP (RSAES_OAEP_*) or, for material too long for that,
 * with RSA-OAEP of an AES key it chose followed by AES key wrap with padding
 * (RFC 5649) of the material under that AES key (RSA_AES_KEY_WRAP_*).
 * WebCrypto has RSA-OAEP and AES-KW (RFC 3394) but not the padded variant,
 * which comes from @noble/ciphers.
 */
export const WRAPPING_KEY_SPECS = ['RSA_2048', 'RSA_3072', 'RSA_4096'] as const;
export type WrappingKeySpec = (typeof WRAPPING_KEY_SPECS)[number];

/** RSAES_PKCS1_V1_5 is in the model but AWS KMS refuses it since October 2023; SM2PKE is for the China regions. */
export const WRAPPING_ALGORITHMS = ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'RSA_AES_KEY_WRAP_SHA_1', 'RSA_AES_KEY_WRAP_SHA_256'] as const;
export type WrappingAlgorithm = (typeof WRAPPING_ALGORITHMS)[number];

const MODULUS_BITS: Record<WrappingKeySpec, number> = { RSA_2048: 2048, RSA_3072: 3072, RSA_4096: 4096 };

/** The OAEP hash (MGF1 uses the same one) and whether the material comes AES-wrapped after the RSA part. */
function scheme(algorithm: WrappingAlgorithm): { hash: 'SHA-1' | 'SHA-256'; aesWrapped: boolean } {
  return {
    hash: algorithm.endsWith('SHA_1') ? 'SHA-1' : 'SHA-256',
    aesWrapped: algorithm.startsWith('RSA_AES_KEY_WRAP'),
  };
}

export interface WrappingKeyPair {
  /** PKCS#8 DER: sealed at once by the key's object, and never sent anywhere. */
  privateKey: Uint8Array;
  /** SubjectPublicKeyInfo DER: GetParametersForImport's `PublicKey`. */
  publicKey: Uint8Array;
}

export async function generateWrappingKey(spec: WrappingKeySpec): Promise<WrappingKeyPair> {
  const pair = (await crypto.subtle.generateKey(
    { name: 'RSA-OAEP', modulusLength: MODULUS_BITS[spec], publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['encrypt', 'decrypt'],
  )) as CryptoKeyPair;
  const [privateKey, publicKey] = await Promise.all([
    crypto.subtle.exportKey('pkcs8', pair.privateKey) as Promise<ArrayBuffer>,
    crypto.subtle.exportKey('spki', pair.publicKey) as Promise<ArrayBuffer>,
  ]);
  return { privateKey: new Uint8Array(privateKey), publicKey: new Uint8Array(publicKey) };
}

async function rsaOaepDecrypt(privateKey: Uint8Array, hash: 'SHA-1' | 'SHA-256', ciphertext: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('pkcs8', privateKey, { name: 'RSA-OAEP', hash }, false, ['decrypt']);
  return new Uint8Array(await crypto.subtle.decrypt({ name: 'RSA-OAEP' }, key, ciphertext));
}

/**
 * The material inside `encrypted`, or InvalidCiphertextException (without a
 * message, as for any ciphertext) when it does not open under the wrapping key:
 * which step failed is not said, so the answer is no padding oracle.
 */
export async function unwrapKeyMaterial(
  privateKey: Uint8Array,
  spec: WrappingKeySpec,
  algorithm: WrappingAlgorithm,
  encrypted: Uint8Array,
): Promise<Uint8Array> {
  const { hash, aesWrapped } = scheme(algorithm);
  const rsaBytes = MODULUS_BITS[spec] / 8;
  try {
    if (!aesWrapped) return await rsaOaepDecrypt(privateKey, hash, encrypted);
    if (encrypted.length <= rsaBytes) throw new Error('no AES-wrapped part');
    const aesKey = await rsaOaepDecrypt(privateKey, hash, encrypted.subarray(0, rsaBytes));
    try {
      return aeskwp(aesKey).decrypt(encrypted.subarray(rsaBytes));
    } finally {
      aesKey.fill(0);
    }
  } catch {
    throw new InvalidCiphertextException('');
  }
}
