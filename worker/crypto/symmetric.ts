import { InvalidCiphertextException } from '../errors';
import { gcmOpen, gcmSeal } from './aes-gcm';
import { encodeBlobHeader, IV_LENGTH, joinBlob, type CiphertextBlob } from '../wire/ciphertext-blob';
import { encodeEncryptionContext, type EncryptionContext } from '../wire/encryption-context';

/**
 * AES-256-GCM under a symmetric KMS key version. The AAD is the blob header
 * (key id, version, IV) followed by the canonical encryption context, so a
 * blob moved to another key, version or context fails authentication.
 */
function additionalData(header: Uint8Array, context: EncryptionContext | undefined): Uint8Array {
  const encoded = encodeEncryptionContext(context);
  const aad = new Uint8Array(header.length + encoded.length);
  aad.set(header);
  aad.set(encoded, header.length);
  return aad;
}

export async function encryptBlob(
  key: CryptoKey,
  keyId: string,
  version: number,
  plaintext: Uint8Array,
  context: EncryptionContext | undefined,
): Promise<Uint8Array> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_LENGTH));
  const header = encodeBlobHeader(keyId, version, iv);
  return joinBlob(header, await gcmSeal(key, iv, additionalData(header, context), plaintext));
}

export async function decryptBlob(
  key: CryptoKey,
  blob: CiphertextBlob,
  context: EncryptionContext | undefined,
): Promise<Uint8Array> {
  const plaintext = await gcmOpen(key, blob.iv, additionalData(blob.header, context), blob.sealed);
  // Tampering and a wrong encryption context are indistinguishable by design.
  if (!plaintext) throw new InvalidCiphertextException('The ciphertext or its encryption context is invalid.');
  return plaintext;
}
