/**
 * Request and response shapes of the operations the client names, in the AWS KMS JSON shapes
 * with bytes as `Uint8Array` (the codec turns them into base64 and back). Other operations go
 * through `send` with the same conventions.
 */
import type { AuditInclusionProof, AuditReceipt, ReceiptPublicKey } from '../audit/verify-receipt';
import type { EncryptionContext } from '../materials';
import type { RecipientRequest } from '../keyrings/recipient-key';

/** What the client adds to every output. */
export interface ResponseMetadata {
  /** The service's `x-amzn-requestid`. */
  readonly requestId: string | undefined;
  readonly status: number;
  /** HTTP attempts made, retries included. */
  readonly attempts: number;
}

export type WithMetadata<T> = T & { readonly $metadata: ResponseMetadata };

export interface RequestOptions {
  /** Aborts the call (including any wait before a retry); the call rejects with its reason. */
  readonly signal?: AbortSignal;
}

export interface GenerateDataKeyInput {
  KeyId: string;
  KeySpec?: 'AES_128' | 'AES_256';
  NumberOfBytes?: number;
  EncryptionContext?: EncryptionContext;
  GrantTokens?: readonly string[];
  /** EdgeKMS's recipient: the answer then has CiphertextForRecipient and no Plaintext. */
  Recipient?: RecipientRequest;
}
export interface GenerateDataKeyOutput {
  KeyId: string;
  /** The answer's audit record (verifyReceipt): absent from services other than EdgeKMS. */
  EdgeKmsReceipt?: AuditReceipt;
  /** Absent when the request named a Recipient. */
  Plaintext?: Uint8Array;
  /** The UTF-8 bytes of a compact JWE for the Recipient (sdk/crypto/recipient-jwe.ts opens it). */
  CiphertextForRecipient?: Uint8Array;
  CiphertextBlob: Uint8Array;
}

export interface EncryptInput {
  KeyId: string;
  Plaintext: Uint8Array;
  EncryptionContext?: EncryptionContext;
  EncryptionAlgorithm?: string;
  GrantTokens?: readonly string[];
}
export interface EncryptOutput {
  KeyId: string;
  /** The answer's audit record (verifyReceipt): absent from services other than EdgeKMS. */
  EdgeKmsReceipt?: AuditReceipt;
  CiphertextBlob: Uint8Array;
  EncryptionAlgorithm?: string;
}

export interface DecryptInput {
  CiphertextBlob: Uint8Array;
  KeyId?: string;
  EncryptionContext?: EncryptionContext;
  EncryptionAlgorithm?: string;
  GrantTokens?: readonly string[];
  /** EdgeKMS's recipient: the answer then has CiphertextForRecipient and no Plaintext. */
  Recipient?: RecipientRequest;
}
export interface DecryptOutput {
  KeyId: string;
  /** The answer's audit record (verifyReceipt): absent from services other than EdgeKMS. */
  EdgeKmsReceipt?: AuditReceipt;
  /** Absent when the request named a Recipient. */
  Plaintext?: Uint8Array;
  /** The UTF-8 bytes of a compact JWE for the Recipient. */
  CiphertextForRecipient?: Uint8Array;
  EncryptionAlgorithm?: string;
}

export interface DescribeKeyInput {
  KeyId: string;
  GrantTokens?: readonly string[];
}
export interface KeyMetadata {
  KeyId: string;
  Arn: string;
  KeyState: string;
  Enabled: boolean;
  KeySpec?: string;
  KeyUsage?: string;
  Description?: string;
  CreationDate?: number;
  [field: string]: unknown;
}
export interface DescribeKeyOutput {
  KeyMetadata: KeyMetadata;
}

export interface GetReceiptPublicKeyInput {
  /** A signing key id a signed head names; default: the current key. */
  SigningKeyId?: string;
}
export interface GetReceiptPublicKeyOutput extends ReceiptPublicKey {
  /** SPKI DER. */
  PublicKey: Uint8Array;
  SigningAlgorithm: 'ED25519';
  Jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string; kid: string; alg: 'EdDSA'; use: 'sig' };
  Account: string;
  Region: string;
  CreationDate: number;
}

export interface GetAuditInclusionProofInput {
  KeyId: string;
  /** The receipt's Chain, for a key served by replicas. */
  Chain?: string;
  Sequence: number;
}
export type GetAuditInclusionProofOutput = AuditInclusionProof & { KeyId: string };
