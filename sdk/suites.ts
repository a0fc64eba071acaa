/**
 * The algorithm suites this SDK writes and reads (spec: framework/algorithm-suites.md). Only the
 * two committing suites of message format 2 are supported: key commitment is what makes a message
 * decrypt to one plaintext under exactly one data key, and the official SDK's default policy
 * (REQUIRE_ENCRYPT_REQUIRE_DECRYPT) accepts nothing else either.
 */

export const SUITE_AES256_HKDF_SHA512_COMMIT_KEY = 0x0478;
export const SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384 = 0x0578;

export type SuiteId =
  | typeof SUITE_AES256_HKDF_SHA512_COMMIT_KEY
  | typeof SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384;

export interface AlgorithmSuite {
  readonly id: SuiteId;
  /** The official SDK's enum name, so users can match suites across the two libraries. */
  readonly name: string;
  readonly messageFormatVersion: 2;
  /** Data key length = HKDF input length = AES key length, in bytes. */
  readonly keyLength: 32;
  readonly ivLength: 12;
  readonly tagLength: 16;
  /** The algorithm suite data in the header holds the commit key, this long. */
  readonly commitKeyLength: 32;
  readonly signed: boolean;
}

const COMMON = {
  messageFormatVersion: 2,
  keyLength: 32,
  ivLength: 12,
  tagLength: 16,
  commitKeyLength: 32,
} as const;

const SUITES: ReadonlyMap<number, AlgorithmSuite> = new Map<number, AlgorithmSuite>([
  [
    SUITE_AES256_HKDF_SHA512_COMMIT_KEY,
    Object.freeze({
      ...COMMON,
      id: SUITE_AES256_HKDF_SHA512_COMMIT_KEY,
      name: 'ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY',
      signed: false,
    }),
  ],
  [
    SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
    Object.freeze({
      ...COMMON,
      id: SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
      name: 'ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384',
      signed: true,
    }),
  ],
]);

export const DEFAULT_SUITE_ID: SuiteId = SUITE_AES256_HKDF_SHA512_COMMIT_KEY;

/** The suite with this id, or undefined if this SDK does not support it. */
export function findSuite(id: number): AlgorithmSuite | undefined {
  return SUITES.get(id);
}
