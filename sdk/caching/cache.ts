/**
 * The cryptographic materials cache contract (spec: framework/cryptographic-materials-cache.md),
 * shared by the in-memory LocalCache and the IndexedDB-backed IdbCache. A cache only stores and
 * counts; the caching materials manager decides what may be used (age, messages, bytes).
 *
 * Cached materials never hold the raw data key bytes: only `hkdfDataKey`, a non-extractable
 * WebCrypto HKDF key, from which each message's keys are derived. That keeps the bytes out of
 * JavaScript memory and storage, not the key out of reach: whoever can reach the CryptoKey (any
 * script in the origin, for an IdbCache) can derive every message's keys from it while it is
 * cached (sdk/README.md, "Data key caching").
 */
import type { DecryptionMaterials, EncryptionMaterials } from '../materials';

export interface EncryptionCacheEntry {
  readonly kind: 'encrypt';
  /** Materials with `hkdfDataKey` and without `plaintextDataKey`. */
  readonly materials: EncryptionMaterials;
  /** Clock time (ms, the manager's clock) from which the entry may no longer be used. */
  readonly expiresAt: number;
  /** Messages and bytes encrypted under the entry, including the one that is being encrypted. */
  readonly messagesEncrypted: number;
  readonly bytesEncrypted: number;
}

export interface DecryptionCacheEntry {
  readonly kind: 'decrypt';
  /** Materials with `hkdfDataKey` and without `plaintextDataKey`. */
  readonly materials: DecryptionMaterials;
  readonly expiresAt: number;
}

export interface MaterialsCache {
  /**
   * The encryption entry stored under `id`, after counting one more message of `plaintextLength`
   * bytes against it (atomically, so concurrent users of one entry are all counted).
   */
  getEncryptionMaterials(id: string, plaintextLength: number): Promise<EncryptionCacheEntry | undefined>;
  putEncryptionMaterials(id: string, entry: EncryptionCacheEntry): Promise<void>;
  getDecryptionMaterials(id: string): Promise<DecryptionCacheEntry | undefined>;
  putDecryptionMaterials(id: string, entry: DecryptionCacheEntry): Promise<void>;
  delete(id: string): Promise<void>;
}
