import { InvalidKeyUsageException, ValidationException } from '../errors';
import { derToP1363, p1363ToDer } from '../wire/ecdsa-signature';
import { CURVE_BYTES, ecPrivateScalar, ecPublicPoint, isWebCryptoCurve, nobleCurve } from './ecc';
import { HASH_LENGTH, KEY_SPECS, type CurveName, type HashName, type KeySpec, type SigningAlgorithm } from './key-specs';
import { rsaPrivate, rsaPublic } from './raw-rsa';
import { equalBytes } from '../auth/constant-time';
import { encodePkcs1, encodePss, verifyPss } from './rsa-padding';

/**
 * Sign and Verify for every asymmetric key spec, for MessageType RAW (the
 * service hashes) and DIGEST (the caller hashed). RAW runs on WebCrypto;
 * DIGEST needs the bare primitive: @noble/curves for ECDSA, the RSA primitive
 * plus RFC 8017 padding for RSA. secp256k1 is not in WebCrypto: it hashes
 * with WebCrypto and signs the digest with @noble/curves. Verification takes only the public key, so
 * the same function checks external test vectors.
 */
export type MessageType = 'RAW' | 'DIGEST';

type Scheme = 'ecdsa' | 'pss' | 'pkcs1' | 'ed25519';

const ALGORITHMS: Record<SigningAlgorithm, { scheme: Scheme; hash: HashName }> = {
  ECDSA_SHA_256: { scheme: 'ecdsa', hash: 'SHA-256' },
  ECDSA_SHA_384: { scheme: 'ecdsa', hash: 'SHA-384' },
  ECDSA_SHA_512: { scheme: 'ecdsa', hash: 'SHA-512' },
  RSASSA_PSS_SHA_256: { scheme: 'pss', hash: 'SHA-256' },
  RSASSA_PSS_SHA_384: { scheme: 'pss', hash: 'SHA-384' },
  RSASSA_PSS_SHA_512: { scheme: 'pss', hash: 'SHA-512' },
  RSASSA_PKCS1_V1_5_SHA_256: { scheme: 'pkcs1', hash: 'SHA-256' },
  RSASSA_PKCS1_V1_5_SHA_384: { scheme: 'pkcs1', hash: 'SHA-384' },
  RSASSA_PKCS1_V1_5_SHA_512: { scheme: 'pkcs1', hash: 'SHA-512' },
  ED25519_SHA_512: { scheme: 'ed25519', hash: 'SHA-512' },
};

function webCryptoParams(spec: KeySpec, algorithm: SigningAlgorithm) {
  const { scheme, hash } = ALGORITHMS[algorithm];
  const info = KEY_SPECS[spec];
  switch (scheme) {
    case 'ecdsa':
      if (info.family !== 'ecc') throw new Error('unreachable');
      return { importParams: { name: 'ECDSA', namedCurve: info.namedCurve }, signParams: { name: 'ECDSA', hash } };
    case 'pss':
      return { importParams: { name: 'RSA-PSS', hash }, signParams: { name: 'RSA-PSS', saltLength: HASH_LENGTH[hash] } };
    case 'pkcs1':
      return { importParams: { name: 'RSASSA-PKCS1-v1_5', hash }, signParams: { name: 'RSASSA-PKCS1-v1_5' } };
    case 'ed25519':
      return { importParams: { name: 'Ed25519' }, signParams: { name: 'Ed25519' } };
  }
}

/** Refuses an algorithm the key spec does not offer, or a DIGEST of the wrong length. */
export function checkSigningRequest(
  spec: KeySpec,
  algorithm: SigningAlgorithm,
  messageType: MessageType,
  message: Uint8Array,
): void {
  const info = KEY_SPECS[spec];
  const { scheme, hash } = ALGORITHMS[algorithm];
  const offered =
    info.family === 'rsa' ? scheme === 'pss' || scheme === 'pkcs1' : 'signingAlgorithms' in info && info.signingAlgorithms.includes(algorithm);
  if (!offered) {
    throw new InvalidKeyUsageException(`Signing algorithm ${algorithm} is not valid for a ${spec} key.`);
  }
  if (messageType === 'DIGEST') {
    if (scheme === 'ed25519') {
      throw new ValidationException(`${algorithm} signs only MessageType RAW.`);
    }
    if (message.length !== HASH_LENGTH[hash]) {
      throw new ValidationException(`A ${hash} digest is ${HASH_LENGTH[hash]} bytes; the Message has ${message.length}.`);
    }
  }
}

function modulusBits(spec: KeySpec): number {
  const info = KEY_SPECS[spec];
  if (info.family !== 'rsa') throw new Error('unreachable');
  return info.modulusLength;
}

/** The digest ECDSA signs: the caller's (DIGEST), or the message hashed here (RAW). */
async function ecdsaDigest(hash: HashName, messageType: MessageType, message: Uint8Array): Promise<Uint8Array> {
  return messageType === 'DIGEST' ? message : new Uint8Array(await crypto.subtle.digest(hash, message));
}

/** Whether the signature needs @noble/curves: a caller's digest, or a curve WebCrypto does not have. */
function signsDigestWithNoble(curve: CurveName, messageType: MessageType): boolean {
  return messageType === 'DIGEST' || !isWebCryptoCurve(curve);
}

export async function signMessage(
  spec: KeySpec,
  pkcs8: Uint8Array,
  algorithm: SigningAlgorithm,
  messageType: MessageType,
  message: Uint8Array,
): Promise<Uint8Array> {
  checkSigningRequest(spec, algorithm, messageType, message);
  const { scheme, hash } = ALGORITHMS[algorithm];
  const info = KEY_SPECS[spec];
  if (scheme === 'ecdsa' && info.family === 'ecc' && signsDigestWithNoble(info.namedCurve, messageType)) {
    const digest = await ecdsaDigest(hash, messageType, message);
    const scalar = await ecPrivateScalar(info.namedCurve, pkcs8);
    try {
      return nobleCurve(info.namedCurve).sign(digest, scalar, { prehash: false, format: 'der' });
    } finally {
      scalar.fill(0);
    }
  }
  if (messageType === 'DIGEST') {
    const bits = modulusBits(spec);
    const em = scheme === 'pss' ? await encodePss(hash, message, bits) : encodePkcs1(hash, message, bits);
    return rsaPrivate(pkcs8, em);
  }
  const { importParams, signParams } = webCryptoParams(spec, algorithm);
  const key = await crypto.subtle.importKey('pkcs8', pkcs8, importParams, false, ['sign']);
  const signature = new Uint8Array(await crypto.subtle.sign(signParams, key, message));
  return scheme === 'ecdsa' ? p1363ToDer(signature) : signature;
}

export async function verifySignature(
  spec: KeySpec,
  spki: Uint8Array,
  algorithm: SigningAlgorithm,
  messageType: MessageType,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  checkSigningRequest(spec, algorithm, messageType, message);
  const { scheme, hash } = ALGORITHMS[algorithm];
  const info = KEY_SPECS[spec];
  try {
    if (scheme === 'ecdsa' && info.family === 'ecc') {
      const p1363 = derToP1363(signature, CURVE_BYTES[info.namedCurve]);
      if (!p1363) return false;
      if (signsDigestWithNoble(info.namedCurve, messageType)) {
        const point = await ecPublicPoint(info.namedCurve, spki);
        if (!point) return false;
        const digest = await ecdsaDigest(hash, messageType, message);
        // Either S: OpenSSL and AWS KMS accept high-S signatures, and secp256k1 signers often produce them.
        return nobleCurve(info.namedCurve).verify(p1363, digest, point, { prehash: false, lowS: false, format: 'compact' });
      }
      const key = await crypto.subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: info.namedCurve }, false, ['verify']);
      return await crypto.subtle.verify({ name: 'ECDSA', hash }, key, p1363, message);
    }
    if (messageType === 'DIGEST') {
      const bits = modulusBits(spec);
      if (signature.length !== Math.ceil(bits / 8)) return false;
      const recovered = rsaPublic(spki, signature);
      return scheme === 'pss'
        ? await verifyPss(hash, message, recovered, bits)
        : equalBytes(recovered, encodePkcs1(hash, message, bits));
    }
    const { importParams, signParams } = webCryptoParams(spec, algorithm);
    const key = await crypto.subtle.importKey('spki', spki, importParams, false, ['verify']);
    return await crypto.subtle.verify(signParams, key, signature, message);
  } catch {
    // A signature that is not even well-formed for the primitive is simply invalid.
    return false;
  }
}
