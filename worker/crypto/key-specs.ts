/**
 * What each AWS KMS key spec is made of and what it may be used for. One table,
 * read by CreateKey (validation), DescribeKey (advertised algorithms) and the
 * Durable Object (which WebCrypto algorithm to run).
 */
export const KEY_USAGES = ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT'] as const;
export type KeyUsage = (typeof KEY_USAGES)[number];

export type KeySpec =
  | 'SYMMETRIC_DEFAULT'
  | 'HMAC_224'
  | 'HMAC_256'
  | 'HMAC_384'
  | 'HMAC_512'
  | 'ECC_NIST_P256'
  | 'ECC_NIST_P384'
  | 'ECC_NIST_P521'
  | 'ECC_SECG_P256K1'
  | 'ECC_NIST_EDWARDS25519'
  | 'RSA_2048'
  | 'RSA_3072'
  | 'RSA_4096';

export const SIGNING_ALGORITHMS = [
  'ECDSA_SHA_256',
  'ECDSA_SHA_384',
  'ECDSA_SHA_512',
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
  'ED25519_SHA_512',
] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export const ENCRYPTION_ALGORITHMS = ['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] as const;
export type EncryptionAlgorithm = (typeof ENCRYPTION_ALGORITHMS)[number];
export const MAC_ALGORITHMS = ['HMAC_SHA_224', 'HMAC_SHA_256', 'HMAC_SHA_384', 'HMAC_SHA_512'] as const;
export type MacAlgorithm = (typeof MAC_ALGORITHMS)[number];
export const KEY_AGREEMENT_ALGORITHMS = ['ECDH'] as const;
export type KeyAgreementAlgorithm = (typeof KEY_AGREEMENT_ALGORITHMS)[number];
/** SHA-224 exists only for HMAC_224, which runs on @noble/hashes (WebCrypto has no SHA-224). */
export type HashName = 'SHA-1' | 'SHA-224' | 'SHA-256' | 'SHA-384' | 'SHA-512';
/** The elliptic curves of the ECC key specs; secp256k1 is not in WebCrypto and runs on @noble/curves. */
export type CurveName = 'P-256' | 'P-384' | 'P-521' | 'secp256k1';

export type KeySpecInfo =
  | { family: 'aes'; keyBytes: 32 }
  | { family: 'hmac'; keyBytes: number; macAlgorithm: MacAlgorithm }
  | { family: 'ecc'; namedCurve: CurveName; signingAlgorithms: SigningAlgorithm[]; keyAgreement: boolean }
  | { family: 'ed25519'; signingAlgorithms: SigningAlgorithm[] }
  | { family: 'rsa'; modulusLength: 2048 | 3072 | 4096 };

const RSA_SIGNING: SigningAlgorithm[] = [
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
];
const RSA_ENCRYPTION: EncryptionAlgorithm[] = ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'];

export const KEY_SPECS: Record<KeySpec, KeySpecInfo> = {
  SYMMETRIC_DEFAULT: { family: 'aes', keyBytes: 32 },
  HMAC_224: { family: 'hmac', keyBytes: 28, macAlgorithm: 'HMAC_SHA_224' },
  HMAC_256: { family: 'hmac', keyBytes: 32, macAlgorithm: 'HMAC_SHA_256' },
  HMAC_384: { family: 'hmac', keyBytes: 48, macAlgorithm: 'HMAC_SHA_384' },
  HMAC_512: { family: 'hmac', keyBytes: 64, macAlgorithm: 'HMAC_SHA_512' },
  // AWS KMS: NIST curves sign or agree keys; secp256k1 only signs.
  ECC_NIST_P256: { family: 'ecc', namedCurve: 'P-256', signingAlgorithms: ['ECDSA_SHA_256'], keyAgreement: true },
  ECC_NIST_P384: { family: 'ecc', namedCurve: 'P-384', signingAlgorithms: ['ECDSA_SHA_384'], keyAgreement: true },
  ECC_NIST_P521: { family: 'ecc', namedCurve: 'P-521', signingAlgorithms: ['ECDSA_SHA_512'], keyAgreement: true },
  ECC_SECG_P256K1: { family: 'ecc', namedCurve: 'secp256k1', signingAlgorithms: ['ECDSA_SHA_256'], keyAgreement: false },
  ECC_NIST_EDWARDS25519: { family: 'ed25519', signingAlgorithms: ['ED25519_SHA_512'] },
  RSA_2048: { family: 'rsa', modulusLength: 2048 },
  RSA_3072: { family: 'rsa', modulusLength: 3072 },
  RSA_4096: { family: 'rsa', modulusLength: 4096 },
};

export const KEY_SPEC_NAMES = Object.keys(KEY_SPECS) as [KeySpec, ...KeySpec[]];

/** The usages a spec allows; the first is the default when CreateKey names none. */
export function allowedUsages(spec: KeySpec): KeyUsage[] {
  const info = KEY_SPECS[spec];
  switch (info.family) {
    case 'aes':
      return ['ENCRYPT_DECRYPT'];
    case 'hmac':
      return ['GENERATE_VERIFY_MAC'];
    case 'ecc':
      return info.keyAgreement ? ['SIGN_VERIFY', 'KEY_AGREEMENT'] : ['SIGN_VERIFY'];
    case 'ed25519':
      return ['SIGN_VERIFY'];
    case 'rsa':
      return ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'];
  }
}

/**
 * The algorithms a key may be used with, by kind. The names are AWS KMS's
 * algorithm identifiers, and they are domain values here, not wire shape:
 * requests name them, policies compare them (kms:EncryptionAlgorithm,
 * kms:SigningAlgorithm, kms:MacAlgorithm), the key checks them. The response
 * fields that list them are operations/shapes.ts's.
 */
export interface KeyAlgorithms {
  encryption?: EncryptionAlgorithm[];
  signing?: SigningAlgorithm[];
  mac?: MacAlgorithm[];
  keyAgreement?: KeyAgreementAlgorithm[];
}

/** The algorithms of a spec and usage (DescribeKey and GetPublicKey advertise them). */
export function keyAlgorithms(spec: KeySpec, usage: KeyUsage): KeyAlgorithms {
  const info = KEY_SPECS[spec];
  switch (info.family) {
    case 'aes':
      return { encryption: ['SYMMETRIC_DEFAULT'] };
    case 'hmac':
      return { mac: [info.macAlgorithm] };
    case 'ecc':
      return usage === 'KEY_AGREEMENT' ? { keyAgreement: ['ECDH'] } : { signing: info.signingAlgorithms };
    case 'ed25519':
      return { signing: info.signingAlgorithms };
    case 'rsa':
      return usage === 'SIGN_VERIFY' ? { signing: RSA_SIGNING } : { encryption: RSA_ENCRYPTION };
  }
}

export const MAC_HASH: Record<MacAlgorithm, HashName> = {
  HMAC_SHA_224: 'SHA-224',
  HMAC_SHA_256: 'SHA-256',
  HMAC_SHA_384: 'SHA-384',
  HMAC_SHA_512: 'SHA-512',
};

export const HASH_LENGTH: Record<HashName, number> = {
  'SHA-1': 20,
  'SHA-224': 28,
  'SHA-256': 32,
  'SHA-384': 48,
  'SHA-512': 64,
};
