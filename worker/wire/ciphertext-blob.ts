import { InvalidCiphertextException } from '../errors';
import { isKeyId } from './key-reference';

/**
 * The symmetric ciphertext blob. It names its key and key version, so Decrypt
 * needs no KeyId and ciphertexts of earlier versions still decrypt after a
 * rotation. The whole header is authenticated as part of the AAD.
 *
 *   0  2  magic "EK"
 *   2  1  format version (1)
 *   3 36  key id (lower-case UUID, ASCII)
 *  39  4  key version (uint32, big-endian)
 *  43 12  AES-GCM IV
 *  55  …  AES-GCM ciphertext followed by its 16-byte tag
 */
export interface CiphertextBlob {
  keyId: string;
  version: number;
  iv: Uint8Array;
  /** Bytes 0..55: authenticated, and prefixed to the encryption context in the AAD. */
  header: Uint8Array;
  sealed: Uint8Array;
}

const MAGIC_0 = 0x45;
const MAGIC_1 = 0x4b;
const FORMAT_VERSION = 1;
const KEY_ID_LENGTH = 36;
export const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const HEADER_LENGTH = 3 + KEY_ID_LENGTH + 4 + IV_LENGTH;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeBlobHeader(keyId: string, version: number, iv: Uint8Array): Uint8Array {
  const header = new Uint8Array(HEADER_LENGTH);
  header[0] = MAGIC_0;
  header[1] = MAGIC_1;
  header[2] = FORMAT_VERSION;
  header.set(encoder.encode(keyId), 3);
  new DataView(header.buffer).setUint32(3 + KEY_ID_LENGTH, version);
  header.set(iv, 3 + KEY_ID_LENGTH + 4);
  return header;
}

export function joinBlob(header: Uint8Array, sealed: Uint8Array): Uint8Array {
  const blob = new Uint8Array(header.length + sealed.length);
  blob.set(header);
  blob.set(sealed, header.length);
  return blob;
}

/** True when the bytes look like an EdgeKMS symmetric blob (they may still fail authentication). */
export function isSymmetricBlob(blob: Uint8Array): boolean {
  return blob.length >= 3 && blob[0] === MAGIC_0 && blob[1] === MAGIC_1 && blob[2] === FORMAT_VERSION;
}

export function parseCiphertextBlob(blob: Uint8Array): CiphertextBlob {
  if (!isSymmetricBlob(blob) || blob.length < HEADER_LENGTH + TAG_LENGTH) {
    throw new InvalidCiphertextException('The ciphertext is not an EdgeKMS ciphertext blob.');
  }
  const keyId = decoder.decode(blob.subarray(3, 3 + KEY_ID_LENGTH));
  const version = new DataView(blob.buffer, blob.byteOffset).getUint32(3 + KEY_ID_LENGTH);
  if (!isKeyId(keyId) || version === 0) {
    throw new InvalidCiphertextException('The ciphertext is not an EdgeKMS ciphertext blob.');
  }
  return {
    keyId,
    version,
    iv: blob.slice(3 + KEY_ID_LENGTH + 4, HEADER_LENGTH),
    header: blob.slice(0, HEADER_LENGTH),
    sealed: blob.slice(HEADER_LENGTH),
  };
}

/** The key version a blob claims, if it looks like one of ours (not yet authenticated). */
export function blobKeyVersion(blob: Uint8Array): number | undefined {
  return isSymmetricBlob(blob) && blob.length >= HEADER_LENGTH
    ? new DataView(blob.buffer, blob.byteOffset).getUint32(3 + KEY_ID_LENGTH)
    : undefined;
}
