/**
 * EdgeKMS SDK: envelope encryption in the AWS Encryption SDK message format (version 2), on
 * WebCrypto, for browsers, Workers and Node alike.
 */
export { encrypt, DEFAULT_FRAME_LENGTH, type EncryptOptions, type EncryptResult } from './encrypt';
export { decrypt, type DecryptOptions, type DecryptResult } from './decrypt';
export { encryptStream, DEFAULT_STREAM_FRAME_LENGTH, type EncryptStreamOptions } from './stream-encrypt';
export { decryptStream, DEFAULT_MAX_FRAME_LENGTH, type DecryptStreamOptions } from './stream-decrypt';
export type { PlaintextInput, MessageInput, BinaryInput } from './input';
export type { MessageHeader } from './format';
export {
  SUITE_AES256_HKDF_SHA512_COMMIT_KEY,
  SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
  DEFAULT_SUITE_ID,
  DEFAULT_COMMITMENT_POLICY,
  findSuite,
  type AlgorithmSuite,
  type SuiteId,
  type LegacySuiteId,
  type CommitmentPolicy,
} from './suites';
export type { Keyring } from './keyring';
export {
  DefaultMaterialsManager,
  type MaterialsManager,
  type EncryptionRequest,
  type DecryptionRequest,
} from './materials-manager';
export {
  PUBLIC_KEY_CONTEXT_KEY,
  withEncryptedDataKey,
  withPlaintextDataKey,
  type EncryptionContext,
  type EncryptedDataKey,
  type EncryptionMaterials,
  type DecryptionMaterials,
} from './materials';
export { RawAesKeyring, type RawAesKeyringOptions } from './keyrings/raw-aes';
export { MultiKeyring, type MultiKeyringOptions } from './keyrings/multi';
export { RawRsaKeyring, type RawRsaKeyringOptions, type RsaPadding, type RsaKeyInput } from './keyrings/raw-rsa';
export {
  EdgeKmsError,
  MalformedMessageError,
  UnsupportedFormatError,
  AuthenticationError,
  CommitmentMismatchError,
  ContextMismatchError,
  NoDecryptableKeyError,
  TooManyEncryptedDataKeysError,
  FrameLengthLimitError,
  InvalidArgumentError,
  KeyringError,
  ReceiptVerificationError,
} from './errors';
export {
  EdgeKmsKeyring,
  KMS_PROVIDER_ID,
  DEFAULT_KEYRING_MAX_ENCRYPTED_DATA_KEYS,
  type EdgeKmsKeyringOptions,
  type EdgeKmsKeyringClient,
  type DiscoveryFilter,
} from './keyrings/edgekms';
export {
  DEFAULT_RECIPIENT_DATABASE,
  type RecipientOption,
  type RecipientRequest,
  type RecipientPublicJwk,
} from './keyrings/recipient-key';
export { openRecipientJwe, RecipientJweError, type OpenRecipientJweOptions } from './crypto/recipient-jwe';
export {
  createClient,
  KmsServiceError,
  KmsTimeoutError,
  KmsNetworkError,
  isKmsServiceError,
  DEFAULT_RETRY_POLICY,
  type ClientOptions,
  type KmsClient,
  type RetryPolicy,
  type FetchLike,
  type RequestOptions,
  type ResponseMetadata,
  type WithMetadata,
  type GenerateDataKeyInput,
  type GenerateDataKeyOutput,
  type EncryptInput,
  type EncryptOutput,
  type DecryptInput,
  type DecryptOutput,
  type DescribeKeyInput,
  type DescribeKeyOutput,
  type KeyMetadata,
  type GetReceiptPublicKeyInput,
  type GetReceiptPublicKeyOutput,
  type GetAuditInclusionProofInput,
  type GetAuditInclusionProofOutput,
} from './client/index';
export {
  verifyReceipt,
  type AuditReceipt,
  type AuditInclusionProof,
  type ReceiptPublicKey,
  type VerifiedReceipt,
} from './audit/verify-receipt';
export { checkReceipt } from './audit/check-receipt';
export type { WireAuditRecord } from './audit/record-wire';
export type { WireSignedHead, AuditHead } from './audit/signed-head';
export type { AuditRecord } from './audit/record-hash';
export {
  RequiredEncryptionContextCMM,
  type RequiredEncryptionContextCMMOptions,
} from './required-context-materials-manager';
export {
  CachingMaterialsManager,
  type CachingMaterialsManagerOptions,
} from './caching/caching-materials-manager';
export { LocalCache, type LocalCacheOptions } from './caching/local-cache';
export { IdbCache, type IdbCacheOptions, type IdbCacheRecord } from './caching/idb-cache';
export type { MaterialsCache, EncryptionCacheEntry, DecryptionCacheEntry } from './caching/cache';
export {
  encryptForm,
  decryptFormData,
  FormError,
  FORM_MANIFEST_FIELD,
  FORM_CONTEXT_PREFIX,
  FORM_FIELD_CONTEXT_KEY,
  FORM_ENTRY_CONTEXT_KEY,
  FORM_MANIFEST_CONTEXT_KEY,
  ENCRYPTED_FILE_SUFFIX,
  FORM_BLOB_BATCH_BYTES,
  type EncryptFormOptions,
  type DecryptFormOptions,
  type FormInput,
  type FormElementLike,
  type FormManifest,
} from './form';
