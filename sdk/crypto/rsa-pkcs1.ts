/**
 * RSAES-PKCS1-v1_5 (RFC 8017 §7.2) for the raw RSA keyring's "PKCS1" padding, which WebCrypto does
 * not offer. The arithmetic is @noble/curves' bigint modular helpers; this module adds the padding
 * and what makes a padding-checking decryptor safe to expose to hostile ciphertexts:
 *
 * - No padding oracle (Bleichenbacher). The caller always knows how long the key it unwraps is,
 *   so the check is over fixed positions, computed in full without data-dependent branches; and a
 *   bad padding is never reported: it yields a substitute key, derived from the ciphertext with a
 *   secret of the private key (HMAC-SHA-256), selected in constant time ("implicit rejection", as
 *   OpenSSL 3.2 and RFC 8017's successor draft do). A wrong key then fails the message's key
 *   commitment or header tag, exactly as a well-padded key for another message would, so nothing
 *   an attacker sees depends on the padding.
 * - Blinding. JavaScript bigints are not constant-time, so the private operation runs on a
 *   randomly blinded base (c * r^e) with randomly blinded CRT exponents (d_p + k (p - 1)): its
 *   timing is uncorrelated with the ciphertext and differs from one call to the next. The result
 *   is checked with the public exponent before use, so a miscomputation cannot leak a factor.
 */
import { invert, mod, pow } from '@noble/curves/abstract/modular.js';
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { type Bytes, fromBase64, randomBytes } from '../bytes';
import { InvalidArgumentError, KeyringError } from '../errors';

/** The smallest padding string the RFC allows: 8 nonzero bytes, so EM = 00 02 PS(>= 8) 00 M. */
const MIN_PADDING = 8;

export interface RsaPublicComponents {
  readonly n: bigint;
  readonly e: bigint;
  /** Modulus length in bytes: the length of every ciphertext. */
  readonly k: number;
}

export interface RsaPrivateComponents extends RsaPublicComponents {
  readonly d: bigint;
  readonly p: bigint;
  readonly q: bigint;
  readonly dp: bigint;
  readonly dq: bigint;
  readonly qi: bigint;
  /** HMAC key for substitute keys: a hash of the private exponent, never the exponent itself. */
  readonly rejectionKey: Uint8Array;
}

function fromJwkNumber(value: string | undefined, what: string): bigint {
  const bytes = typeof value === 'string' && value.length > 0 ? fromBase64(value) : undefined;
  if (bytes === undefined) throw new InvalidArgumentError(`RSA key has no ${what}`);
  return bytesToNumberBE(bytes);
}

/** The public half of an RSA JWK (as WebCrypto exports it). */
export function rsaPublicComponents(jwk: JsonWebKey): RsaPublicComponents {
  const n = fromJwkNumber(jwk.n, 'modulus');
  const e = fromJwkNumber(jwk.e, 'public exponent');
  return { n, e, k: Math.ceil(n.toString(2).length / 8) };
}

/** The private components of an RSA JWK; multi-prime keys are refused (the JWK lists `oth`). */
export function rsaPrivateComponents(jwk: JsonWebKey): RsaPrivateComponents {
  if (jwk.oth !== undefined) throw new InvalidArgumentError('multi-prime RSA keys are not supported');
  const d = fromJwkNumber(jwk.d, 'private exponent');
  const components = {
    ...rsaPublicComponents(jwk),
    d,
    p: fromJwkNumber(jwk.p, 'first prime'),
    q: fromJwkNumber(jwk.q, 'second prime'),
    dp: fromJwkNumber(jwk.dp, 'first CRT exponent'),
    dq: fromJwkNumber(jwk.dq, 'second CRT exponent'),
    qi: fromJwkNumber(jwk.qi, 'CRT coefficient'),
  };
  if (components.p * components.q !== components.n) throw new InvalidArgumentError('RSA key primes do not match its modulus');
  return { ...components, rejectionKey: sha256(numberToBytesBE(d, components.k)) };
}

/** EME-PKCS1-v1_5 encoding and the public operation: a k-byte ciphertext of `message`. */
export function pkcs1Encrypt(key: RsaPublicComponents, message: Uint8Array): Bytes {
  const { k } = key;
  if (message.byteLength > k - 3 - MIN_PADDING) throw new KeyringError(`a ${k * 8}-bit RSA key cannot wrap ${message.byteLength} bytes`);
  const em = new Uint8Array(k);
  em[1] = 0x02;
  const padding = em.subarray(2, k - message.byteLength - 1);
  for (let filled = 0; filled < padding.length; ) {
    for (const byte of randomBytes(padding.length - filled)) if (byte !== 0 && filled < padding.length) padding[filled++] = byte;
  }
  em.set(message, k - message.byteLength);
  return numberToBytesBE(pow(bytesToNumberBE(em), key.e, key.n), k) as Bytes;
}

/** A random integer in [1, bound) that has an inverse modulo `modulus` (not a multiple of its factors). */
function randomUnit(bound: bigint, modulus: bigint, length: number): bigint {
  for (;;) {
    const r = mod(bytesToNumberBE(randomBytes(length + 8)), bound);
    if (r > 1n && gcd(r, modulus) === 1n) return r;
  }
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** m = c^d mod n through the CRT, with base and exponent blinding, checked with e before use. */
function rsaDecryptPrimitive(key: RsaPrivateComponents, c: bigint): bigint {
  const { n, e, p, q, dp, dq, qi, k } = key;
  const r = randomUnit(n, n, k);
  const blinded = mod(c * pow(r, e, n), n);
  const kp = bytesToNumberBE(randomBytes(8));
  const kq = bytesToNumberBE(randomBytes(8));
  const m1 = pow(blinded % p, dp + kp * (p - 1n), p);
  const m2 = pow(blinded % q, dq + kq * (q - 1n), q);
  const h = mod(qi * (m1 - m2), p);
  const mBlinded = m2 + h * q;
  if (pow(mBlinded, e, n) !== blinded) throw new KeyringError('RSA private operation failed its consistency check');
  return mod(mBlinded * invert(r, n), n);
}

/**
 * Unwraps a `length`-byte key from a PKCS1 v1.5 ciphertext. Never reports a bad padding: returns
 * the key if the encoding is valid and exactly `length` bytes long, else a substitute that
 * depends only on the ciphertext and the private key. Throws only for what anyone can see
 * without the key: a ciphertext of the wrong length or not below the modulus.
 */
export function pkcs1DecryptKey(key: RsaPrivateComponents, ciphertext: Uint8Array, length: number): Bytes {
  const { k, n } = key;
  if (length < 1 || length > 32 || length > k - 3 - MIN_PADDING) {
    throw new KeyringError(`cannot unwrap a ${length}-byte key with a ${k * 8}-bit RSA key`);
  }
  if (ciphertext.byteLength !== k) throw new KeyringError(`RSA ciphertext is ${ciphertext.byteLength} bytes, not ${k}`);
  const c = bytesToNumberBE(ciphertext);
  if (c >= n) throw new KeyringError('RSA ciphertext is not below the modulus');
  const em = numberToBytesBE(rsaDecryptPrimitive(key, c), k);
  const substitute = hmac(sha256, key.rejectionKey, ciphertext);

  // 00 02 PS 00 M with |M| = length: every byte at a fixed position, every one examined.
  const separator = k - length - 1;
  let bad = em[0]! | (em[1]! ^ 0x02) | em[separator]!;
  for (let i = 2; i < separator; i++) bad |= isZero(em[i]!);
  // 0xff where the padding was good, 0x00 where it was not, without branching on it.
  const keep = (((bad | -bad) >> 31) & 0xff) ^ 0xff;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (em[separator + 1 + i]! & keep) | (substitute[i]! & ~keep & 0xff);
  em.fill(0);
  return out;
}

/** 1 if `byte` is 0, else 0, without a branch. */
function isZero(byte: number): number {
  return ((byte - 1) >> 31) & 1;
}
