import { CompactEncrypt, calculateJwkThumbprint, importJWK, type JWK } from 'jose';
import { z } from 'zod';
import { ValidationException } from '../errors';
import { blob } from './schema';

/**
 * Answers wrapped to a recipient's public key (docs/api.md, "Recipient-wrapped answers"). AWS KMS
 * takes a Nitro attestation document and RSAES_OAEP_SHA_256; EdgeKMS cannot verify one, so that
 * shape is refused, never ignored (ignoring it would answer with the Plaintext the caller asked
 * not to receive). The EdgeKMS variant, ECDH_ES_A256KW, names a P-256 public key as a JWK, such as
 * a browser tab's non-extractable WebCrypto key, and the answer is a compact JWE
 * (ECDH-ES+A256KW, A256GCM) that only the holder of the private key can open.
 */
export const recipientField = z
  .object({
    KeyEncryptionAlgorithm: z.enum(['RSAES_OAEP_SHA_256', 'ECDH_ES_A256KW']),
    AttestationDocument: blob(1, 262144).optional(),
    PublicKey: z.record(z.string(), z.unknown()).optional(),
  })
  .optional();

export type RecipientInput = z.output<typeof recipientField>;

export interface Recipient {
  readonly key: CryptoKey;
  /** RFC 7638 SHA-256 thumbprint of the public key, base64url: the policy's condition key. */
  readonly thumbprint: string;
}

/** What a key policy sees of the recipient (policy/condition-keys.ts names them). */
export type RecipientFacts = { 'edgekms:RecipientRequired': 'true' | 'false'; 'edgekms:RecipientKeyThumbprint'?: string };

export function recipientFacts(recipient: Recipient | undefined): RecipientFacts {
  return recipient
    ? { 'edgekms:RecipientRequired': 'true', 'edgekms:RecipientKeyThumbprint': recipient.thumbprint }
    : { 'edgekms:RecipientRequired': 'false' };
}

const P256_COORDINATE = /^[A-Za-z0-9_-]{43}$/;

/** Checks and imports the request's recipient; any fault in it is the caller's (a 400), never a 500. */
export async function readRecipient(input: RecipientInput): Promise<Recipient | undefined> {
  if (input === undefined) return undefined;
  if (input.KeyEncryptionAlgorithm === 'RSAES_OAEP_SHA_256') {
    if (input.AttestationDocument === undefined) {
      throw new ValidationException('Recipient with KeyEncryptionAlgorithm RSAES_OAEP_SHA_256 requires an AttestationDocument.');
    }
    throw new ValidationException(
      'EdgeKMS cannot verify Nitro attestation documents; use KeyEncryptionAlgorithm ECDH_ES_A256KW with a P-256 PublicKey JWK.',
    );
  }
  if (input.AttestationDocument !== undefined) throw new ValidationException('Recipient with ECDH_ES_A256KW takes a PublicKey, not an AttestationDocument.');
  const jwk = input.PublicKey;
  if (jwk === undefined) throw new ValidationException('Recipient with ECDH_ES_A256KW requires a PublicKey (a P-256 JWK).');
  // A private key sent over the wire is refused: it is no longer private, so wrapping to it protects nothing.
  if ('d' in jwk) throw new ValidationException('Recipient PublicKey must be a public JWK; it contains a private key ("d").');
  const { kty, crv, x, y } = jwk;
  if (kty !== 'EC' || crv !== 'P-256') throw new ValidationException('Recipient PublicKey must be an EC JWK on curve P-256.');
  if (typeof x !== 'string' || typeof y !== 'string' || !P256_COORDINATE.test(x) || !P256_COORDINATE.test(y)) {
    throw new ValidationException('Recipient PublicKey x and y must be 32-byte base64url coordinates.');
  }
  const publicJwk: JWK = { kty, crv, x, y };
  let key: CryptoKey;
  try {
    // WebCrypto refuses a point that is not on the curve.
    key = (await importJWK(publicJwk, 'ECDH-ES+A256KW')) as CryptoKey;
  } catch {
    throw new ValidationException('Recipient PublicKey is not a valid P-256 public key.');
  }
  return { key, thumbprint: await calculateJwkThumbprint(publicJwk, 'sha256') };
}

/** The plaintext as a compact JWE for the recipient, as UTF-8 bytes (base64 on the wire, like any blob). */
export async function sealForRecipient(recipient: Recipient, plaintext: Uint8Array): Promise<Uint8Array> {
  const jwe = await new CompactEncrypt(plaintext)
    .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: recipient.thumbprint })
    .encrypt(recipient.key);
  return new TextEncoder().encode(jwe);
}

/**
 * The answer's secret field: `Plaintext`, or, for a recipient, `CiphertextForRecipient` and no
 * Plaintext (as AWS answers its recipients). The plaintext copy is wiped once it is sealed.
 */
export async function secretField(
  recipient: Recipient | undefined,
  plaintext: Uint8Array,
): Promise<{ Plaintext: Uint8Array } | { CiphertextForRecipient: Uint8Array }> {
  if (!recipient) return { Plaintext: plaintext };
  try {
    return { CiphertextForRecipient: await sealForRecipient(recipient, plaintext) };
  } finally {
    plaintext.fill(0);
  }
}
