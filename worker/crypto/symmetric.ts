import { InvalidCiphertextException } from '../errors';
import { gcmOpen, gcmSeal } from './aes-gcm';
import {
  derivationInfo,
  encodeBlobHeader,
  IV_LENGTH,
  joinBlob,
  SALT_LENGTH,
  type CiphertextBlob,
} from '../wire/ciphertext-blob';
import { encodeEncryptionContext, type EncryptionContext } from '../wire/encryption-context';
import { concatBytes } from '../wire/bytes';

/**
 * AES-256-GCM under a symmetric KMS key version. Each new blob is sealed
 * under its own AES key, derived with HKDF-SHA-256 from the version's root
 * key, a random 32-byte salt carried in the blob and the blob's key id,
 * version and format as info (as AWS KMS does), so the root key can be used
 * without AES-GCM's 2^32 limit on random IVs per key. The AAD is the blob
 * header followed by the canonical encryption context, so a blob moved to
 * another key, version or context fails authentication.
 */

/** A key version's root key in the two forms the blob formats need; each is made on first use. */
export interface VersionKeys {
  /** HKDF base key: derives each format-2 blob's AES key. */
  derivation(): Promise<CryptoKey>;
  /** The root key as an AES key: format-1 blobs were sealed under it directly (read only). */
  direct(): Promise<CryptoKey>;
}

/** The root key as a non-extractable HKDF base key, to be cached per version. */
export function importDerivationKey(secret: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', secret, 'HKDF', false, ['deriveKey']);
}

function blobKey(derivation: CryptoKey, salt: Uint8Array, header: Uint8Array, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt, info: derivationInfo(header) },
    derivation,
    { name: 'AES-GCM', length: 256 },
    false,
    [usage],
  );
}

function additionalData(header: Uint8Array, context: EncryptionContext | undefined): Uint8Array {
  return concatBytes([header, encodeEncryptionContext(context)]);
}

/** Always writes the current format (2). */
export async function encryptBlob(
  derivation: CryptoKey,
  keyId: string,
  version: number,
  plaintext: Uint8Array,
  context: EncryptionContext | undefined,
): Promise<Uint8Array> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_LENGTH));
  // The derived key is already unique to this blob; a random IV costs nothing and keeps a margin.
  const iv = crypto.getRandomValues(new Uint8Array(IV_LENGTH));
  const header = encodeBlobHeader(keyId, version, salt, iv);
  const key = await blobKey(derivation, salt, header, 'encrypt');
  return joinBlob(header, await gcmSeal(key, iv, additionalData(header, context), plaintext));
}

export async function decryptBlob(
  keys: VersionKeys,
  blob: CiphertextBlob,
  context: EncryptionContext | undefined,
): Promise<Uint8Array> {
  const key = blob.format === 2 ? await blobKey(await keys.derivation(), blob.salt, blob.header, 'decrypt') : await keys.direct();
  const plaintext = await gcmOpen(key, blob.iv, additionalData(blob.header, context), blob.sealed);
  // Tampering and a wrong encryption context are indistinguishable by design.
  if (!plaintext) throw new InvalidCiphertextException('The ciphertext or its encryption context is invalid.');
  return plaintext;
}
