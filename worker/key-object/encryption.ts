import { KEY_SPECS, type EncryptionAlgorithm } from '../crypto/key-specs';
import { rsaDecrypt, rsaEncrypt } from '../crypto/rsa-encryption';
import { decryptBlob, encryptBlob } from '../crypto/symmetric';
import { IncorrectKeyException, InvalidCiphertextException, InvalidKeyUsageException, ValidationException } from '../errors';
import { joinBlob, notABlob, parseCiphertextBlob, type Ciphertext } from '../wire/ciphertext-blob';
import type { EncryptionContext } from '../wire/encryption-context';
import type { ExternalLayer } from './external-layer';
import type { KeyRecord } from './key-record';
import { requireUsage } from './key-usage';
import type { KeyVersions } from './versions';

/**
 * Encryption with the key's material: symmetric blobs under the current
 * version (any version decrypts), RSA-OAEP under an RSA key's pair.
 */

/** AWS KMS binds no encryption context to asymmetric ciphertexts; accepting one would mislead policies. */
function refuseContext(context: EncryptionContext | undefined): void {
  if (context && Object.keys(context).length > 0) {
    throw new ValidationException('An encryption context is not supported with asymmetric keys.');
  }
}

function wrongAlgorithm(record: KeyRecord, algorithm: EncryptionAlgorithm) {
  return new InvalidKeyUsageException(`Encryption algorithm ${algorithm} is not valid for a ${record.keySpec} key.`);
}

export async function encrypt(
  versions: KeyVersions,
  record: KeyRecord,
  plaintext: Uint8Array,
  context: EncryptionContext | undefined,
  algorithm: EncryptionAlgorithm,
  external?: ExternalLayer,
): Promise<Uint8Array> {
  requireUsage(record, 'ENCRYPT_DECRYPT');
  const info = KEY_SPECS[record.keySpec];
  if (info.family === 'aes' && algorithm === 'SYMMETRIC_DEFAULT') {
    // Read once: the blob must name the version whose key sealed it.
    const version = record.currentVersion;
    return sealExternally(await encryptBlob(await versions.keys(record, version).derivation(), record.keyId, version, plaintext, context), external);
  }
  if (info.family === 'rsa' && algorithm !== 'SYMMETRIC_DEFAULT') {
    refuseContext(context);
    return rsaEncrypt(await versions.publicKey(record), info.modulusLength, algorithm, plaintext);
  }
  throw wrongAlgorithm(record, algorithm);
}

export async function decrypt(
  versions: KeyVersions,
  record: KeyRecord,
  ciphertext: Ciphertext,
  context: EncryptionContext | undefined,
  algorithm: EncryptionAlgorithm,
  external?: ExternalLayer,
): Promise<Uint8Array> {
  requireUsage(record, 'ENCRYPT_DECRYPT');
  const info = KEY_SPECS[record.keySpec];
  if (info.family === 'aes' && algorithm === 'SYMMETRIC_DEFAULT') {
    if (ciphertext.kind !== 'blob') throw notABlob();
    const { blob } = ciphertext;
    if (blob.keyId !== record.keyId) {
      throw new IncorrectKeyException('The ciphertext was encrypted under a different key.');
    }
    if (blob.version > record.currentVersion) {
      throw new InvalidCiphertextException('The ciphertext names a key version that does not exist.');
    }
    const inner = external ? { ...blob, sealed: await external.open(blob.header, blob.sealed) } : blob;
    return decryptBlob(versions.keys(record, blob.version), inner, context);
  }
  if (info.family === 'rsa' && algorithm !== 'SYMMETRIC_DEFAULT') {
    refuseContext(context);
    // The operation layer parses blobs only for SYMMETRIC_DEFAULT; rejoined, the bytes are as sent.
    const bytes = ciphertext.kind === 'opaque' ? ciphertext.bytes : joinBlob(ciphertext.blob.header, ciphertext.blob.sealed);
    return rsaDecrypt(await versions.secret(record, record.currentVersion), algorithm, bytes);
  }
  throw wrongAlgorithm(record, algorithm);
}

/** A new data key, returned sealed and (unless `withPlaintext` is false) in the clear. */
export async function generateDataKey(
  versions: KeyVersions,
  record: KeyRecord,
  numberOfBytes: number,
  context: EncryptionContext | undefined,
  withPlaintext: boolean,
  external?: ExternalLayer,
): Promise<{ ciphertext: Uint8Array; plaintext?: Uint8Array }> {
  requireUsage(record, 'ENCRYPT_DECRYPT');
  const plaintext = crypto.getRandomValues(new Uint8Array(numberOfBytes));
  const ciphertext = await encrypt(versions, record, plaintext, context, 'SYMMETRIC_DEFAULT', external);
  if (withPlaintext) return { ciphertext, plaintext };
  // WithoutPlaintext: the data key never leaves the object.
  plaintext.fill(0);
  return { ciphertext };
}

/**
 * The private key of a data key pair (PKCS#8, made by the Worker: see
 * operations/data-key-pairs.ts) encrypted under the key's current version with
 * the encryption context, exactly as Encrypt would, so Decrypt returns it.
 * Returns the version, which the response names (KeyMaterialId).
 */
export async function encryptDataKeyPair(
  versions: KeyVersions,
  record: KeyRecord,
  privateKey: Uint8Array,
  context: EncryptionContext | undefined,
  external?: ExternalLayer,
): Promise<{ ciphertext: Uint8Array; version: number }> {
  requireUsage(record, 'ENCRYPT_DECRYPT');
  if (KEY_SPECS[record.keySpec].family !== 'aes') throw wrongAlgorithm(record, 'SYMMETRIC_DEFAULT');
  const version = record.currentVersion;
  const blob = await encryptBlob(await versions.keys(record, version).derivation(), record.keyId, version, privateKey, context);
  return { ciphertext: await sealExternally(blob, external), version };
}

/** A key in an external key store: the blob's own ciphertext, encrypted again by the proxy (external-layer.ts). */
async function sealExternally(blob: Uint8Array, external: ExternalLayer | undefined): Promise<Uint8Array> {
  if (!external) return blob;
  const { header, sealed } = parseCiphertextBlob(blob);
  return joinBlob(header, await external.seal(header, sealed));
}
