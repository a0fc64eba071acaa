import { hexToBytes as hex } from '@noble/hashes/utils.js';
import { concatBytes } from './bytes';

/**
 * DER encodings of secp256k1 keys, which WebCrypto cannot import or export:
 * SubjectPublicKeyInfo (RFC 5480) and PKCS#8 PrivateKeyInfo holding an RFC
 * 5915 ECPrivateKey, both with the namedCurve secp256k1 (1.3.132.0.10), byte
 * for byte what OpenSSL and node:crypto write. The keys have a fixed size, so
 * each encoding is a fixed prefix and the key bytes.
 */
/** SEQUENCE { id-ecPublicKey, secp256k1 }. */
const ALGORITHM = '301006072a8648ce3d020106052b8104000a';
const SPKI_UNCOMPRESSED = hex(`3056${ALGORITHM}034200`);
const SPKI_COMPRESSED = hex(`3036${ALGORITHM}032200`);
const PKCS8_PREFIX = hex(`308184020100${ALGORITHM}046d306b0201010420`);
const PKCS8_PUBLIC = hex('a144034200');
const SCALAR_BYTES = 32;
const POINT_BYTES = 65;

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && prefix.every((byte, i) => bytes[i] === byte);
}

/** The SPKI of an uncompressed public point (0x04 || x || y). */
export function secp256k1Spki(point: Uint8Array): Uint8Array {
  return concatBytes([SPKI_UNCOMPRESSED, point]);
}

/** The encoded point of a secp256k1 SPKI (compressed or not, as RFC 5480 allows), or undefined if it is not one. */
export function secp256k1PointOfSpki(spki: Uint8Array): Uint8Array | undefined {
  if (spki.length === SPKI_UNCOMPRESSED.length + POINT_BYTES && startsWith(spki, SPKI_UNCOMPRESSED)) {
    return spki.subarray(SPKI_UNCOMPRESSED.length);
  }
  if (spki.length === SPKI_COMPRESSED.length + 33 && startsWith(spki, SPKI_COMPRESSED)) return spki.subarray(SPKI_COMPRESSED.length);
  return undefined;
}

export function secp256k1Pkcs8(scalar: Uint8Array, point: Uint8Array): Uint8Array {
  return concatBytes([PKCS8_PREFIX, scalar, PKCS8_PUBLIC, point]);
}

/** The private scalar of a PKCS#8 this module wrote (the service reads only its own). */
export function secp256k1ScalarOfPkcs8(pkcs8: Uint8Array): Uint8Array {
  if (!startsWith(pkcs8, PKCS8_PREFIX) || pkcs8.length !== PKCS8_PREFIX.length + SCALAR_BYTES + PKCS8_PUBLIC.length + POINT_BYTES) {
    throw new Error('not a secp256k1 PKCS#8 key of this service');
  }
  return pkcs8.slice(PKCS8_PREFIX.length, PKCS8_PREFIX.length + SCALAR_BYTES);
}
