/**
 * Opens the compact JWE (RFC 7516) that EdgeKMS returns as `CiphertextForRecipient` (docs/api.md,
 * "Recipient-wrapped answers"), with WebCrypto only: the SDK cannot ship a JOSE library. Exactly
 * one shape is accepted, the one the service makes:
 *   alg ECDH-ES+A256KW (RFC 7518 4.6): an ephemeral P-256 key `epk` in the header; ECDH with the
 *       recipient's private key gives Z; the Concat KDF (SHA-256) turns Z into the AES-KW key
 *       that unwraps the 32-byte content key;
 *   enc A256GCM (RFC 7518 5.3): 96-bit IV, 128-bit tag, the protected header's base64url text as
 *       the additional data.
 * Anything else (another algorithm, a curve or key type other than P-256, compression, `crit`,
 * unknown header members, non-canonical base64url, wrong lengths) is refused before any key is
 * used: the caller expects a data key only this tab could open, and a loose parser is how a JWE
 * library ends up accepting "alg":"none" or an invalid-curve point.
 */
import { type Bytes, concatBytes, fromUtf8, toBase64, utf8 } from '../bytes';
import { KeyringError } from '../errors';

export const RECIPIENT_JWE_ALG = 'ECDH-ES+A256KW';
export const RECIPIENT_JWE_ENC = 'A256GCM';

/** Members the service's header may have; `kid` is the recipient key's RFC 7638 thumbprint. */
const HEADER_MEMBERS = new Set(['alg', 'enc', 'epk', 'apu', 'apv', 'kid']);
const EPK_MEMBERS = new Set(['kty', 'crv', 'x', 'y']);
const BASE64URL = /^[A-Za-z0-9_-]*$/;
/** AES-KW output for a 256-bit content key: the key plus the 8-byte integrity block. */
const WRAPPED_KEY_BYTES = 40;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BITS = 256;

export class RecipientJweError extends KeyringError {
  override name = 'RecipientJweError';
}

export interface OpenRecipientJweOptions {
  /** When given, the header's `kid` must be absent or equal to it. */
  readonly expectedKid?: string;
}

/**
 * The plaintext of `jwe` (the compact serialization, as text or its UTF-8 bytes), opened with
 * `privateKey`: an ECDH P-256 private key allowed `deriveBits`. Rejects with RecipientJweError
 * when the JWE is malformed, of another shape, or fails to authenticate under this key.
 */
export async function openRecipientJwe(jwe: string | Uint8Array, privateKey: CryptoKey, options: OpenRecipientJweOptions = {}): Promise<Bytes> {
  const text = typeof jwe === 'string' ? jwe : fromUtf8(jwe);
  if (text === undefined) throw new RecipientJweError('CiphertextForRecipient is not UTF-8');
  const parts = text.split('.');
  if (parts.length !== 5) throw new RecipientJweError('CiphertextForRecipient is not a compact JWE (five parts)');
  const [protectedPart, wrappedPart, ivPart, ciphertextPart, tagPart] = parts as [string, string, string, string, string];
  const header = parseHeader(protectedPart);
  if (options.expectedKid !== undefined && header.kid !== undefined && header.kid !== options.expectedKid) {
    throw new RecipientJweError('the JWE is for another recipient key (kid)');
  }
  const wrappedKey = decodePart(wrappedPart, 'encrypted key');
  const iv = decodePart(ivPart, 'IV');
  const ciphertext = decodePart(ciphertextPart, 'ciphertext');
  const tag = decodePart(tagPart, 'tag');
  if (wrappedKey.byteLength !== WRAPPED_KEY_BYTES) throw new RecipientJweError(`the JWE's encrypted key must be ${WRAPPED_KEY_BYTES} bytes`);
  if (iv.byteLength !== IV_BYTES) throw new RecipientJweError(`the JWE's IV must be ${IV_BYTES} bytes`);
  if (tag.byteLength !== TAG_BYTES) throw new RecipientJweError(`the JWE's tag must be ${TAG_BYTES} bytes`);

  let ephemeralKey: CryptoKey;
  try {
    // WebCrypto refuses a point that is not on P-256 (the invalid-curve attack).
    ephemeralKey = await crypto.subtle.importKey('jwk', header.epk, { name: 'ECDH', namedCurve: 'P-256' }, false, []);
  } catch (cause) {
    throw new RecipientJweError('the JWE header epk is not a P-256 public key', { cause });
  }
  let sharedSecret: Bytes;
  try {
    // Not an inline literal: the Workers type definitions spell the member `$public`.
    const ecdh = { name: 'ECDH', public: ephemeralKey };
    sharedSecret = new Uint8Array(await crypto.subtle.deriveBits(ecdh, privateKey, KEY_BITS));
  } catch (cause) {
    throw new RecipientJweError('the recipient key cannot open this JWE (ECDH failed)', { cause });
  }
  const kekBytes = await concatKdf(sharedSecret, header.apu, header.apv);
  sharedSecret.fill(0);
  try {
    const kek = await crypto.subtle.importKey('raw', kekBytes, 'AES-KW', false, ['unwrapKey']);
    let contentKey: CryptoKey;
    try {
      contentKey = await crypto.subtle.unwrapKey('raw', wrappedKey, kek, 'AES-KW', 'AES-GCM', false, ['decrypt']);
    } catch (cause) {
      throw new RecipientJweError('the JWE was not made for this recipient key, or was modified (key unwrap failed)', { cause });
    }
    try {
      const plaintext = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv, additionalData: utf8(protectedPart), tagLength: TAG_BYTES * 8 },
        contentKey,
        concatBytes([ciphertext, tag]),
      );
      return new Uint8Array(plaintext);
    } catch (cause) {
      throw new RecipientJweError('the JWE was modified (AES-GCM authentication failed)', { cause });
    }
  } finally {
    kekBytes.fill(0);
  }
}

interface RecipientHeader {
  readonly epk: JsonWebKey;
  readonly apu: Bytes;
  readonly apv: Bytes;
  readonly kid: string | undefined;
}

function parseHeader(part: string): RecipientHeader {
  const json = fromUtf8(decodePart(part, 'protected header'));
  let header: unknown;
  try {
    header = json === undefined ? undefined : JSON.parse(json);
  } catch {
    header = undefined;
  }
  if (!isPlainObject(header)) throw new RecipientJweError('the JWE protected header is not a JSON object');
  for (const member of Object.keys(header)) {
    // Covers `crit` and `zip`, which a recipient must refuse when it does not implement them.
    if (!HEADER_MEMBERS.has(member)) throw new RecipientJweError(`the JWE header has a member this SDK does not accept: ${member}`);
  }
  if (header.alg !== RECIPIENT_JWE_ALG) throw new RecipientJweError(`the JWE alg must be ${RECIPIENT_JWE_ALG}`);
  if (header.enc !== RECIPIENT_JWE_ENC) throw new RecipientJweError(`the JWE enc must be ${RECIPIENT_JWE_ENC}`);
  if (header.kid !== undefined && typeof header.kid !== 'string') throw new RecipientJweError('the JWE kid must be a string');
  const { epk } = header;
  if (!isPlainObject(epk) || !Object.keys(epk).every((member) => EPK_MEMBERS.has(member))) {
    throw new RecipientJweError('the JWE epk must be a public EC JWK (kty, crv, x, y only)');
  }
  if (epk.kty !== 'EC' || epk.crv !== 'P-256') throw new RecipientJweError('the JWE epk must be on P-256');
  for (const coordinate of ['x', 'y'] as const) {
    const value = epk[coordinate];
    if (typeof value !== 'string' || decodePart(value, `epk ${coordinate}`).byteLength !== 32) {
      throw new RecipientJweError(`the JWE epk ${coordinate} must be a 32-byte coordinate`);
    }
  }
  const party = (name: 'apu' | 'apv'): Bytes => {
    const value = header[name];
    if (value === undefined) return new Uint8Array(0);
    if (typeof value !== 'string') throw new RecipientJweError(`the JWE ${name} must be base64url`);
    return decodePart(value, name);
  };
  return { epk: { kty: 'EC', crv: 'P-256', x: epk.x as string, y: epk.y as string }, apu: party('apu'), apv: party('apv'), kid: header.kid };
}

/**
 * The Concat KDF of NIST SP 800-56A as RFC 7518 4.6.2 instantiates it for ECDH-ES+A256KW: one
 * SHA-256 round (256 bits are wanted) over counter 1, Z and OtherInfo, where OtherInfo is the
 * length-prefixed algorithm id ("ECDH-ES+A256KW"), apu and apv, then the key length in bits.
 */
async function concatKdf(sharedSecret: Bytes, apu: Bytes, apv: Bytes): Promise<Bytes> {
  const input = concatBytes([
    uint32(1),
    sharedSecret,
    lengthPrefixed(utf8(RECIPIENT_JWE_ALG)),
    lengthPrefixed(apu),
    lengthPrefixed(apv),
    uint32(KEY_BITS),
  ]);
  try {
    return new Uint8Array(await crypto.subtle.digest('SHA-256', input));
  } finally {
    input.fill(0);
  }
}

function lengthPrefixed(bytes: Uint8Array): Bytes {
  return concatBytes([uint32(bytes.byteLength), bytes]);
}

function uint32(value: number): Bytes {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

/**
 * Strict base64url without padding (RFC 7515 2): only the URL-safe alphabet, no length that
 * cannot occur, and no stray bits in the last character, so each value has one encoding.
 */
function decodePart(part: string, what: string): Bytes {
  if (!BASE64URL.test(part) || part.length % 4 === 1) throw new RecipientJweError(`the JWE ${what} is not base64url`);
  let binary: string;
  try {
    binary = atob(part.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (part.length % 4)) % 4));
  } catch {
    throw new RecipientJweError(`the JWE ${what} is not base64url`);
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  if (toBase64Url(out) !== part) throw new RecipientJweError(`the JWE ${what} is not canonical base64url`);
  return out;
}

export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
