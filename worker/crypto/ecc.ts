import { p256, p384, p521 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { secp256k1Pkcs8, secp256k1PointOfSpki, secp256k1ScalarOfPkcs8, secp256k1Spki } from '../wire/secp256k1-keys';
import type { CurveName } from './key-specs';

/**
 * The elliptic curves of the ECC key specs. WebCrypto does every step it can
 * for the NIST curves (key generation, PKCS#8 and SPKI, RAW ECDSA, ECDH);
 * @noble/curves does what it cannot: ECDSA over a caller's digest, and all of
 * secp256k1, whose DER encodings wire/secp256k1-keys.ts writes.
 */
const NOBLE = { 'P-256': p256, 'P-384': p384, 'P-521': p521, secp256k1 } as const;

/** Bytes of a scalar (and of each coordinate, and of an ECDH secret) on the curve. */
export const CURVE_BYTES: Record<CurveName, number> = { 'P-256': 32, 'P-384': 48, 'P-521': 66, secp256k1: 32 };

export function nobleCurve(curve: CurveName) {
  return NOBLE[curve];
}

export function isWebCryptoCurve(curve: CurveName): curve is Exclude<CurveName, 'secp256k1'> {
  return curve !== 'secp256k1';
}

/** A new key pair: PKCS#8 private key and SPKI public key, DER. */
export async function generateEcPair(curve: CurveName): Promise<{ pkcs8: Uint8Array; spki: Uint8Array }> {
  if (!isWebCryptoCurve(curve)) {
    const secretKey = secp256k1.utils.randomSecretKey();
    const point = secp256k1.getPublicKey(secretKey, false);
    const pkcs8 = secp256k1Pkcs8(secretKey, point);
    secretKey.fill(0);
    return { pkcs8, spki: secp256k1Spki(point) };
  }
  const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: curve }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const [pkcs8, spki] = await Promise.all([
    crypto.subtle.exportKey('pkcs8', pair.privateKey) as Promise<ArrayBuffer>,
    crypto.subtle.exportKey('spki', pair.publicKey) as Promise<ArrayBuffer>,
  ]);
  return { pkcs8: new Uint8Array(pkcs8), spki: new Uint8Array(spki) };
}

/** The private scalar of one of the service's own PKCS#8 keys on `curve`; the caller wipes it. */
export async function ecPrivateScalar(curve: CurveName, pkcs8: Uint8Array): Promise<Uint8Array> {
  if (!isWebCryptoCurve(curve)) return secp256k1ScalarOfPkcs8(pkcs8);
  const key = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'ECDSA', namedCurve: curve }, true, ['sign']);
  const jwk = (await crypto.subtle.exportKey('jwk', key)) as JsonWebKey;
  return Uint8Array.fromBase64(jwk.d!, { alphabet: 'base64url' });
}

/**
 * The public point of an SPKI, if it is a valid point of `curve` (not the
 * identity, on the curve): undefined for anything else, including a key on
 * another curve or of another type.
 */
export async function ecPublicPoint(curve: CurveName, spki: Uint8Array): Promise<Uint8Array | undefined> {
  try {
    if (!isWebCryptoCurve(curve)) {
      const encoded = secp256k1PointOfSpki(spki);
      if (!encoded) return undefined;
      // fromBytes checks that the point is on the curve.
      return secp256k1.Point.fromBytes(encoded).toBytes(false);
    }
    const key = await crypto.subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: curve }, true, ['verify']);
    return new Uint8Array((await crypto.subtle.exportKey('raw', key)) as ArrayBuffer);
  } catch {
    return undefined;
  }
}
