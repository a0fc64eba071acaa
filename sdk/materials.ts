/**
 * The values keyrings and materials managers pass around (spec: framework/structures.md).
 * Materials are immutable: a keyring returns a new object instead of mutating its input, so a
 * keyring that fails half-way cannot leave a data key behind in materials someone else holds.
 */
import type { AlgorithmSuite } from './suites';

/** Non-secret, authenticated key/value strings bound to a message. */
export type EncryptionContext = Readonly<Record<string, string>>;

/** The reserved context key under which signed suites carry the signature verification key. */
export const PUBLIC_KEY_CONTEXT_KEY = 'aws-crypto-public-key';
/** Keys with this prefix are reserved for the format; callers may not set them. */
export const RESERVED_CONTEXT_PREFIX = 'aws-crypto-';

/**
 * One wrapped copy of the data key. `providerId` names the kind of keyring that wrote it
 * ("aws-kms" for KMS-compatible keyrings, the key namespace for raw keyrings); `providerInfo`
 * is that keyring's locator (a key ARN for KMS, key name + IV for raw AES); `ciphertext` is opaque
 * to everyone but that keyring (a KMS CiphertextBlob, or AES-GCM output).
 */
export interface EncryptedDataKey {
  readonly providerId: string;
  readonly providerInfo: Uint8Array;
  readonly ciphertext: Uint8Array;
}

export interface EncryptionMaterials {
  readonly suite: AlgorithmSuite;
  /** The full context: the caller's entries plus, for signed suites, the public key entry. */
  readonly encryptionContext: EncryptionContext;
  /** Set by the first (generating) keyring; every EDK wraps this key. */
  readonly plaintextDataKey?: Uint8Array;
  readonly encryptedDataKeys: readonly EncryptedDataKey[];
  /** P-384 secret scalar, present only for signed suites. */
  readonly signingKey?: Uint8Array;
  /**
   * Context keys that are authenticated but not stored in the message (the required encryption
   * context CMM's): the header leaves them out and its tag covers them, so a reader must supply
   * them again (decrypt's `reproducedContext`).
   */
  readonly requiredContextKeys?: readonly string[];
  /**
   * The data key as a non-extractable WebCrypto HKDF key; materials from a cache carry only this.
   * Its bytes cannot be exported, but it derives every message key of the data key.
   */
  readonly hkdfDataKey?: CryptoKey;
}

export interface DecryptionMaterials {
  readonly suite: AlgorithmSuite;
  readonly encryptionContext: EncryptionContext;
  /** Set by the keyring that unwrapped one of the message's EDKs. */
  readonly plaintextDataKey?: Uint8Array;
  /** Compressed point from the context, present only for signed suites. */
  readonly verificationKey?: Uint8Array;
  /** Context keys the header tag covers that the message does not store (from the reproduced context). */
  readonly requiredContextKeys?: readonly string[];
  /** As EncryptionMaterials.hkdfDataKey: not exportable, but it derives every message key. */
  readonly hkdfDataKey?: CryptoKey;
}

export function withPlaintextDataKey<M extends EncryptionMaterials | DecryptionMaterials>(
  materials: M,
  plaintextDataKey: Uint8Array,
): M {
  const next: M = { ...materials, plaintextDataKey };
  return Object.freeze(next);
}

/**
 * Decryption materials with the data key a keyring unwrapped: its bytes, or a non-extractable HKDF
 * CryptoKey holding them (what the raw AES keyring unwraps into where WebCrypto can).
 */
export function withUnwrappedDataKey(materials: DecryptionMaterials, dataKey: Uint8Array | CryptoKey): DecryptionMaterials {
  if (dataKey instanceof Uint8Array) return withPlaintextDataKey(materials, dataKey);
  return Object.freeze({ ...materials, hkdfDataKey: dataKey });
}

/** Whether materials hold a data key, as bytes or as an HKDF CryptoKey. */
export function holdsDataKey(materials: { readonly plaintextDataKey?: Uint8Array; readonly hkdfDataKey?: CryptoKey }): boolean {
  return materials.plaintextDataKey !== undefined || materials.hkdfDataKey !== undefined;
}

export function withEncryptedDataKey(
  materials: EncryptionMaterials,
  encryptedDataKey: EncryptedDataKey,
): EncryptionMaterials {
  return Object.freeze({
    ...materials,
    encryptedDataKeys: Object.freeze([...materials.encryptedDataKeys, encryptedDataKey]),
  });
}
