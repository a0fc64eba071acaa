import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { IncorrectKeyMaterialException, type KmsError } from '../errors';
import { secp256k1Pkcs8, secp256k1ScalarOfPkcs8, secp256k1Spki } from '../wire/secp256k1-keys';
import { isWebCryptoCurve } from './ecc';
import { KEY_SPECS, type KeySpec } from './key-specs';
import type { KeyMaterial } from './material';

/**
 * Key material a caller imports (ImportKeyMaterial), checked against the
 * key's spec as AWS KMS checks it and brought to the form the service's own
 * material has (material.ts): 256 bits for SYMMETRIC_DEFAULT, the HMAC key
 * lengths AWS allows, and for asymmetric keys a PKCS#8 private key of the
 * spec's type and size, re-encoded as WebCrypto writes it, with its SPKI.
 */

/** HMAC key material AWS KMS accepts: from the digest size up to the hash's block size. */
const HMAC_BYTES: Partial<Record<KeySpec, [number, number]>> = {
  HMAC_224: [28, 64],
  HMAC_256: [32, 64],
  HMAC_384: [48, 128],
  HMAC_512: [64, 128],
};

function incorrect(spec: KeySpec): KmsError {
  return new IncorrectKeyMaterialException(`The key material is not valid for a ${spec} key.`);
}

export async function importedKeyMaterial(spec: KeySpec, material: Uint8Array): Promise<KeyMaterial> {
  const info = KEY_SPECS[spec];
  switch (info.family) {
    case 'aes':
      if (material.length !== info.keyBytes) throw incorrect(spec);
      return { secret: material };
    case 'hmac': {
      const [min, max] = HMAC_BYTES[spec]!;
      if (material.length < min || material.length > max) throw incorrect(spec);
      return { secret: material };
    }
    case 'ecc':
      if (!isWebCryptoCurve(info.namedCurve)) return secp256k1Material(spec, material);
      return webCryptoPair(spec, material, { name: 'ECDSA', namedCurve: info.namedCurve }, ['sign']);
    case 'ed25519':
      return webCryptoPair(spec, material, { name: 'Ed25519' }, ['sign']);
    case 'rsa': {
      const pair = await webCryptoPair(spec, material, { name: 'RSA-PSS', hash: 'SHA-256' }, ['sign']);
      if (pair.modulusLength !== info.modulusLength) throw incorrect(spec);
      return { secret: pair.secret, publicKey: pair.publicKey };
    }
  }
}

/** The JWK members of a private key's public half. */
const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const;

async function webCryptoPair(
  spec: KeySpec,
  pkcs8: Uint8Array,
  algorithm: Parameters<SubtleCrypto['importKey']>[2],
  usages: string[],
): Promise<KeyMaterial & { modulusLength?: number }> {
  if (!isPrivateKeyInfo(pkcs8)) throw incorrect(spec);
  let privateKey: CryptoKey;
  try {
    // Import fails for another key type, another curve, or anything that is not PKCS#8.
    privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, algorithm, true, usages);
  } catch {
    throw incorrect(spec);
  }
  const jwk = (await crypto.subtle.exportKey('jwk', privateKey)) as JsonWebKey;
  const publicJwk = Object.fromEntries(PUBLIC_MEMBERS.filter((name) => jwk[name] !== undefined).map((name) => [name, jwk[name]])) as unknown as JsonWebKey;
  const publicKey = await crypto.subtle.importKey('jwk', publicJwk, algorithm, true, usages.includes('sign') ? ['verify'] : []);
  const [secret, spki] = await Promise.all([
    crypto.subtle.exportKey('pkcs8', privateKey) as Promise<ArrayBuffer>,
    crypto.subtle.exportKey('spki', publicKey) as Promise<ArrayBuffer>,
  ]);
  const modulusLength = (privateKey.algorithm as { modulusLength?: number }).modulusLength;
  return { secret: new Uint8Array(secret), publicKey: new Uint8Array(spki), ...(modulusLength !== undefined && { modulusLength }) };
}

/**
 * Whether the DER starts as a PKCS#8 PrivateKeyInfo (RFC 5958): SEQUENCE {
 * INTEGER 0 or 1, SEQUENCE algorithm, ... }. The runtime's PKCS#8 import also
 * takes other encodings (a PKCS#1 RSAPrivateKey: SEQUENCE { INTEGER 0,
 * INTEGER modulus, ... }); AWS KMS takes PKCS#8 only, and so does this.
 */
function isPrivateKeyInfo(der: Uint8Array): boolean {
  if (der[0] !== 0x30 || der.length < 2) return false;
  const lengthByte = der[1]!;
  const header = lengthByte < 0x80 ? 2 : 2 + (lengthByte & 0x7f);
  const [tag, length, version, next] = [der[header], der[header + 1], der[header + 2], der[header + 3]];
  return tag === 0x02 && length === 0x01 && (version === 0 || version === 1) && next === 0x30;
}

/** secp256k1 is not in WebCrypto: the PKCS#8 must be the RFC 5915 layout OpenSSL writes (with the public point), which is checked against the scalar. */
function secp256k1Material(spec: KeySpec, pkcs8: Uint8Array): KeyMaterial {
  let scalar: Uint8Array;
  try {
    scalar = secp256k1ScalarOfPkcs8(pkcs8);
  } catch {
    throw incorrect(spec);
  }
  try {
    const point = secp256k1.getPublicKey(scalar, false);
    const canonical = secp256k1Pkcs8(scalar, point);
    if (bytesToHex(canonical) !== bytesToHex(pkcs8)) throw incorrect(spec);
    return { secret: canonical, publicKey: secp256k1Spki(point) };
  } catch {
    throw incorrect(spec);
  } finally {
    scalar.fill(0);
  }
}

/**
 * The keyed digest by which a key recognizes its imported material later
 * (ImportKeyMaterial accepts only the same material again): an HMAC keyed by
 * the material itself (the public key for asymmetric keys, whose PKCS#8 may
 * be encoded more than one way) over the key id, so it names no material
 * without the material, and two keys' digests of one material differ.
 */
export async function materialCheck(keyId: string, material: KeyMaterial): Promise<string> {
  const identity = material.publicKey ?? material.secret;
  const key = await crypto.subtle.importKey('raw', identity, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`edgekms imported key material of ${keyId}`));
  return bytesToHex(new Uint8Array(mac));
}
