import { ValidationException } from '../errors';
import { CURVE_BYTES, isWebCryptoCurve } from './ecc';
import type { CurveName } from './key-specs';

/**
 * ECDH for KEY_AGREEMENT keys (NIST curves only, as in AWS KMS), on
 * WebCrypto: the raw shared secret, the x-coordinate of the shared point,
 * which is what AWS KMS, OpenSSL and node:crypto return. The peer's key must
 * be an SPKI of a point on the key's own curve; WebCrypto's import checks
 * that the point is on that curve, so an invalid-curve point never reaches
 * the private key.
 */
export async function deriveSharedSecret(curve: CurveName, pkcs8: Uint8Array, peerSpki: Uint8Array): Promise<Uint8Array> {
  if (!isWebCryptoCurve(curve)) throw new Error(`no key agreement on ${curve}`);
  const algorithm = { name: 'ECDH', namedCurve: curve };
  let peer: CryptoKey;
  try {
    peer = await crypto.subtle.importKey('spki', peerSpki, algorithm, false, []);
  } catch {
    throw new ValidationException(`PublicKey must be a DER-encoded SubjectPublicKeyInfo of an elliptic curve key on ${curve}, the curve of the KMS key.`);
  }
  const own = await crypto.subtle.importKey('pkcs8', pkcs8, algorithm, false, ['deriveBits']);
  // workers-types spells the member `$public` (`public` is a reserved word there); the runtime reads `public`.
  const params = { name: 'ECDH', public: peer } as unknown as SubtleCryptoDeriveKeyAlgorithm;
  return new Uint8Array(await crypto.subtle.deriveBits(params, own, CURVE_BYTES[curve] * 8));
}
