/**
 * The algorithm suites this SDK reads and writes (spec: framework/algorithm-suites.md).
 *
 * It writes only the two committing suites of message format 2: key commitment is what makes a
 * message decrypt to one plaintext under exactly one data key, and the official SDK's default
 * policy (REQUIRE_ENCRYPT_REQUIRE_DECRYPT) accepts nothing else either. It also reads the AES-GCM
 * suites of message format 1, which older writers produced, when the caller opts in with the
 * official SDK's REQUIRE_ENCRYPT_ALLOW_DECRYPT policy (decrypt's `commitmentPolicy`).
 */

export const SUITE_AES256_HKDF_SHA512_COMMIT_KEY = 0x0478;
export const SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384 = 0x0578;

/** The suites `encrypt` writes. */
export type SuiteId =
  | typeof SUITE_AES256_HKDF_SHA512_COMMIT_KEY
  | typeof SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384;

/** The message format 1 suites `decrypt` reads under REQUIRE_ENCRYPT_ALLOW_DECRYPT. */
export type LegacySuiteId = 0x0014 | 0x0046 | 0x0078 | 0x0114 | 0x0146 | 0x0178 | 0x0214 | 0x0346 | 0x0378;

/**
 * How a suite turns the data key into the message's AES key: the committing HKDF of format 2, the
 * HKDF of format 1 (info = suite id | message id, no salt), or none (the data key is the AES key).
 */
export type SuiteKdf = 'HKDF-SHA512-COMMIT' | 'HKDF-SHA256' | 'HKDF-SHA384' | 'NONE';

export interface AlgorithmSuite {
  readonly id: SuiteId | LegacySuiteId;
  /** The official SDK's enum name, so users can match suites across the two libraries. */
  readonly name: string;
  readonly messageFormatVersion: 1 | 2;
  /** Data key length = AES key length, in bytes. */
  readonly keyLength: 16 | 24 | 32;
  readonly ivLength: 12;
  readonly tagLength: 16;
  readonly kdf: SuiteKdf;
  /** The algorithm suite data in the header holds the commit key, this long (0: no commitment). */
  readonly commitKeyLength: 0 | 32;
  readonly signed: boolean;
  /** The ECDSA curve of signed suites (P-256 with SHA-256, P-384 with SHA-384). */
  readonly curve?: 'P-256' | 'P-384';
}

const COMMITTING = { messageFormatVersion: 2, keyLength: 32, ivLength: 12, tagLength: 16, kdf: 'HKDF-SHA512-COMMIT', commitKeyLength: 32 } as const;

function legacy(id: LegacySuiteId, name: string, keyLength: 16 | 24 | 32, kdf: SuiteKdf, curve?: 'P-256' | 'P-384'): AlgorithmSuite {
  return Object.freeze({
    id,
    name,
    messageFormatVersion: 1,
    keyLength,
    ivLength: 12,
    tagLength: 16,
    kdf,
    commitKeyLength: 0,
    signed: curve !== undefined,
    ...(curve === undefined ? {} : { curve }),
  });
}

const SUITES: ReadonlyMap<number, AlgorithmSuite> = new Map<number, AlgorithmSuite>([
  [
    SUITE_AES256_HKDF_SHA512_COMMIT_KEY,
    Object.freeze({ ...COMMITTING, id: SUITE_AES256_HKDF_SHA512_COMMIT_KEY, name: 'ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY', signed: false }),
  ],
  [
    SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
    Object.freeze({
      ...COMMITTING,
      id: SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
      name: 'ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384',
      signed: true,
      curve: 'P-384',
    }),
  ],
  [0x0014, legacy(0x0014, 'ALG_AES128_GCM_IV12_TAG16', 16, 'NONE')],
  [0x0046, legacy(0x0046, 'ALG_AES192_GCM_IV12_TAG16', 24, 'NONE')],
  [0x0078, legacy(0x0078, 'ALG_AES256_GCM_IV12_TAG16', 32, 'NONE')],
  [0x0114, legacy(0x0114, 'ALG_AES128_GCM_IV12_TAG16_HKDF_SHA256', 16, 'HKDF-SHA256')],
  [0x0146, legacy(0x0146, 'ALG_AES192_GCM_IV12_TAG16_HKDF_SHA256', 24, 'HKDF-SHA256')],
  [0x0178, legacy(0x0178, 'ALG_AES256_GCM_IV12_TAG16_HKDF_SHA256', 32, 'HKDF-SHA256')],
  [0x0214, legacy(0x0214, 'ALG_AES128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256', 16, 'HKDF-SHA256', 'P-256')],
  [0x0346, legacy(0x0346, 'ALG_AES192_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384', 24, 'HKDF-SHA384', 'P-384')],
  [0x0378, legacy(0x0378, 'ALG_AES256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384', 32, 'HKDF-SHA384', 'P-384')],
]);

export const DEFAULT_SUITE_ID: SuiteId = SUITE_AES256_HKDF_SHA512_COMMIT_KEY;

/** The suite with this id (either format), or undefined if this SDK does not support it. */
export function findSuite(id: number): AlgorithmSuite | undefined {
  return SUITES.get(id);
}

/**
 * Whether a message may be decrypted under a commitment policy (the official SDK's names):
 * REQUIRE_ENCRYPT_REQUIRE_DECRYPT (the default) reads committing suites only;
 * REQUIRE_ENCRYPT_ALLOW_DECRYPT also reads message format 1.
 */
export type CommitmentPolicy = 'REQUIRE_ENCRYPT_REQUIRE_DECRYPT' | 'REQUIRE_ENCRYPT_ALLOW_DECRYPT';
export const DEFAULT_COMMITMENT_POLICY: CommitmentPolicy = 'REQUIRE_ENCRYPT_REQUIRE_DECRYPT';
