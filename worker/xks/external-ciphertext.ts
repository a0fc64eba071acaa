import type { ExternalCiphertext } from '../directory/key-stores';
import { InvalidCiphertextException } from '../errors';
import { concatBytes } from '../wire/bytes';

/**
 * The outer layer of a ciphertext blob of a key in an external key store.
 * The blob keeps the header of wire/ciphertext-blob.ts (key id, version, salt,
 * IV), so Decrypt finds its key as for any key; what follows the header is not
 * the key's own AES-GCM ciphertext but that ciphertext encrypted again by the
 * external key store proxy, stored as the proxy's Encrypt answered:
 *
 *   0  1  IV length (12 or 16)
 *   1  n  the proxy's initializationVector
 *   …  16 the proxy's authenticationTag
 *   …  1  ciphertextMetadata length (0..20)
 *   …  m  the proxy's ciphertextMetadata
 *   …  …  the proxy's ciphertext (as long as the inner ciphertext)
 */
const TAG_LENGTH = 16;
const MAX_METADATA = 20;

export function encodeExternalCiphertext(sealed: ExternalCiphertext): Uint8Array {
  const metadata = sealed.ciphertextMetadata ?? new Uint8Array(0);
  return concatBytes([
    Uint8Array.of(sealed.initializationVector.length),
    sealed.initializationVector,
    sealed.authenticationTag,
    Uint8Array.of(metadata.length),
    metadata,
    sealed.ciphertext,
  ]);
}

function invalid(): never {
  throw new InvalidCiphertextException('The ciphertext is not an EdgeKMS ciphertext blob.');
}

export function decodeExternalCiphertext(bytes: Uint8Array): ExternalCiphertext {
  const ivLength = bytes[0];
  if (ivLength !== 12 && ivLength !== 16) invalid();
  let at = 1;
  const initializationVector = bytes.slice(at, (at += ivLength));
  const authenticationTag = bytes.slice(at, (at += TAG_LENGTH));
  const metadataLength = bytes[at++];
  if (metadataLength === undefined || metadataLength > MAX_METADATA) invalid();
  const ciphertextMetadata = bytes.slice(at, (at += metadataLength));
  // The inner ciphertext holds at least its own 16-byte tag.
  if (bytes.length < at + TAG_LENGTH) invalid();
  return {
    initializationVector,
    authenticationTag,
    ...(metadataLength > 0 && { ciphertextMetadata }),
    ciphertext: bytes.slice(at),
  };
}
