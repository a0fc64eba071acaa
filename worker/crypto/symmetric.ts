import { InvalidCiphertextException } from '../errors';
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

export function importAesKey(raw: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
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
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: additionalData(header, context) },
    key,
    plaintext,
  );
  return joinBlob(header, new Uint8Array(sealed));
}

export async function decryptBlob(
  key: CryptoKey,
  blob: CiphertextBlob,
  context: EncryptionContext | undefined,
): Promise<Uint8Array> {
  try {
    return new Uint8Array(
      await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: blob.iv, additionalData: additionalData(blob.header, context) },
        key,
        blob.sealed,
      ),
    );
  } catch {
    // Tampering and a wrong encryption context are indistinguishable by design.
    throw new InvalidCiphertextException('The ciphertext or its encryption context is invalid.');
  }
}
