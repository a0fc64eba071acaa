import { InvalidCiphertextException, type KmsError } from '../errors';
import { isKeyId } from './key-reference';
import { concatBytes } from './bytes';

/**
 * The symmetric ciphertext blob. It names its key and key version, so Decrypt
 * needs no KeyId and ciphertexts of earlier versions still decrypt after a
 * rotation. The whole header is authenticated as part of the AAD.
 * docs/ciphertext-format.md describes both formats byte by byte.
 *
 * Format 2 (written): each blob carries a random HKDF salt, and its AES key
 * is derived from the key version's root key and that salt, so no AES key
 * ever encrypts more than one blob and AES-GCM's limit on random IVs per key
 * (2^32) does not bound the root key's use.
 *
 *   0  2  magic "EK"
 *   2  1  format version (2)
 *   3 36  key id (lower-case UUID, ASCII)
 *  39  4  key version (uint32, big-endian)
 *  43 32  HKDF salt
 *  75 12  AES-GCM IV
 *  87  …  AES-GCM ciphertext followed by its 16-byte tag
 *
 * Format 1 (read only): the same without the salt, sealed under the root key
 * itself; the IV sits at 43 and the ciphertext at 55.
 */
interface BlobFields {
  keyId: string;
  version: number;
  iv: Uint8Array;
  /** Everything before the ciphertext: authenticated, and prefixed to the encryption context in the AAD. */
  header: Uint8Array;
  sealed: Uint8Array;
}

export type CiphertextBlob =
  | (BlobFields & { format: typeof CURRENT_FORMAT; /** The HKDF salt the blob's AES key is derived with. */ salt: Uint8Array })
  | (BlobFields & { format: typeof LEGACY_FORMAT });

type BlobFormat = CiphertextBlob['format'];

const MAGIC_0 = 0x45;
const MAGIC_1 = 0x4b;
const LEGACY_FORMAT = 1;
const CURRENT_FORMAT = 2;
const KEY_ID_OFFSET = 3;
const KEY_ID_LENGTH = 36;
const KEY_VERSION_OFFSET = KEY_ID_OFFSET + KEY_ID_LENGTH;
/** Bytes 0..42, the same in both formats: magic, format, key id, key version. */
const PREFIX_LENGTH = KEY_VERSION_OFFSET + 4;
export const SALT_LENGTH = 32;
export const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const HEADER_LENGTH: Record<BlobFormat, number> = {
  [LEGACY_FORMAT]: PREFIX_LENGTH + IV_LENGTH,
  [CURRENT_FORMAT]: PREFIX_LENGTH + SALT_LENGTH + IV_LENGTH,
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The header of a new (format 2) blob. */
export function encodeBlobHeader(keyId: string, version: number, salt: Uint8Array, iv: Uint8Array): Uint8Array {
  const header = new Uint8Array(HEADER_LENGTH[CURRENT_FORMAT]);
  header[0] = MAGIC_0;
  header[1] = MAGIC_1;
  header[2] = CURRENT_FORMAT;
  header.set(encoder.encode(keyId), KEY_ID_OFFSET);
  new DataView(header.buffer).setUint32(KEY_VERSION_OFFSET, version);
  header.set(salt, PREFIX_LENGTH);
  header.set(iv, PREFIX_LENGTH + SALT_LENGTH);
  return header;
}

/**
 * What a format-2 blob's key derivation binds (the HKDF info): bytes 0..42 of
 * its header, so a derived key belongs to one key id, key version and format.
 */
export function derivationInfo(header: Uint8Array): Uint8Array {
  return header.subarray(0, PREFIX_LENGTH);
}

export function joinBlob(header: Uint8Array, sealed: Uint8Array): Uint8Array {
  return concatBytes([header, sealed]);
}

function blobFormat(blob: Uint8Array): BlobFormat | undefined {
  if (blob.length < 3 || blob[0] !== MAGIC_0 || blob[1] !== MAGIC_1) return undefined;
  const format = blob[2];
  return format === CURRENT_FORMAT || format === LEGACY_FORMAT ? format : undefined;
}

/** True when the bytes look like an EdgeKMS symmetric blob (they may still fail authentication). */
export function isSymmetricBlob(blob: Uint8Array): boolean {
  return blobFormat(blob) !== undefined;
}

export function parseCiphertextBlob(blob: Uint8Array): CiphertextBlob {
  const format = blobFormat(blob);
  if (format === undefined) throw notABlob();
  const headerLength = HEADER_LENGTH[format];
  if (blob.length < headerLength + TAG_LENGTH) throw notABlob();
  const keyId = decoder.decode(blob.subarray(KEY_ID_OFFSET, KEY_VERSION_OFFSET));
  const version = new DataView(blob.buffer, blob.byteOffset).getUint32(KEY_VERSION_OFFSET);
  if (!isKeyId(keyId) || version === 0) throw notABlob();
  const fields: BlobFields = {
    keyId,
    version,
    iv: blob.slice(headerLength - IV_LENGTH, headerLength),
    header: blob.slice(0, headerLength),
    sealed: blob.slice(headerLength),
  };
  return format === CURRENT_FORMAT
    ? { ...fields, format, salt: blob.slice(PREFIX_LENGTH, PREFIX_LENGTH + SALT_LENGTH) }
    : { ...fields, format };
}

/**
 * A Decrypt's ciphertext as the operation layer read it, once: a parsed
 * symmetric blob, or the opaque bytes of anything else (an RSA ciphertext,
 * or bytes that are no blob, which a symmetric key then refuses). A plain
 * object, as it crosses the key object's RPC boundary (structured clone).
 */
export type Ciphertext =
  | { kind: 'blob'; blob: CiphertextBlob }
  /** `claimedVersion`: the version bytes that look like a blob claim (blobKeyVersion), for the audit record only. */
  | { kind: 'opaque'; bytes: Uint8Array; claimedVersion: number | undefined };

export function notABlob(): KmsError {
  return new InvalidCiphertextException('The ciphertext is not an EdgeKMS ciphertext blob.');
}

/** The key version a blob claims, if it looks like one of ours (not yet authenticated). */
export function blobKeyVersion(blob: Uint8Array): number | undefined {
  return isSymmetricBlob(blob) && blob.length >= PREFIX_LENGTH
    ? new DataView(blob.buffer, blob.byteOffset).getUint32(KEY_VERSION_OFFSET)
    : undefined;
}
