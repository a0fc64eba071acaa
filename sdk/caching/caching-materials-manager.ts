/**
 * The caching materials manager (spec: framework/caching-cmm.md; the AWS Encryption SDK's caching
 * CMM): reuses a data key for many messages, within limits, so a KMS keyring calls the service
 * once per data key instead of once per message.
 *
 * Encryption entries are keyed by partition + suite + the caller's context; decryption entries by
 * partition + suite + the message's EDKs + its context (cache-id.ts). An encryption entry is used
 * only while, counting the message being encrypted, it is younger than `maxAge` and has encrypted
 * at most `maxMessagesEncrypted` messages and `maxBytesEncrypted` bytes; otherwise it is dropped
 * and the underlying manager asked again. A message of unknown length (a stream without a
 * declared length) or longer than `maxBytesEncrypted` bypasses the cache. Decryption entries are
 * used until `maxAge`.
 *
 * Signed suites: as in the AWS SDK, the entry holds the signing key with the data key, so the
 * messages of one entry share both, and their public key (which is in their headers anyway).
 * A signing key is never used with another data key or context, and goes when its entry goes.
 */
import { importDataKey } from '../crypto/key-derivation';
import { InvalidArgumentError, KeyringError } from '../errors';
import type { Keyring } from '../keyring';
import type { DecryptionMaterials, EncryptionMaterials } from '../materials';
import {
  type DecryptionRequest,
  type EncryptionRequest,
  type MaterialsManager,
  checkCallerContext,
  materialsManagerFor,
} from '../materials-manager';
import type { MaterialsCache } from './cache';
import { decryptionCacheId, encryptionCacheId, partitionDigest } from './cache-id';

/** The spec's default message limit (2^32). */
const DEFAULT_MAX_MESSAGES = 2 ** 32;

interface CachingOptionsBase {
  readonly cache: MaterialsCache;
  /** Milliseconds a data key may be used for, from when it was obtained. */
  readonly maxAge: number;
  /** Messages one data key may encrypt (default 2^32). */
  readonly maxMessagesEncrypted?: number;
  /** Plaintext bytes one data key may encrypt (default 2^53 - 1). */
  readonly maxBytesEncrypted?: number;
  /**
   * Managers with the same partition share entries of a shared cache; by default each manager has
   * a random one. Set it to reuse an IdbCache's entries after a page reload.
   */
  readonly partition?: string;
  /** Clock in milliseconds (default Date.now); for tests. */
  readonly now?: () => number;
}

export type CachingMaterialsManagerOptions = CachingOptionsBase &
  ({ readonly keyring: Keyring; readonly materialsManager?: never } | { readonly materialsManager: MaterialsManager; readonly keyring?: never });

export class CachingMaterialsManager implements MaterialsManager {
  readonly partition: string;
  readonly maxAge: number;
  readonly maxMessagesEncrypted: number;
  readonly maxBytesEncrypted: number;
  private readonly cache: MaterialsCache;
  private readonly backing: MaterialsManager;
  private readonly now: () => number;
  private readonly partitionHash: Uint8Array<ArrayBuffer>;
  /** Misses being filled, so concurrent requests for one entry make one underlying call. */
  private readonly pending = new Map<string, Promise<unknown>>();

  constructor(options: CachingMaterialsManagerOptions) {
    const { cache, maxAge, keyring, materialsManager } = options ?? ({} as CachingMaterialsManagerOptions);
    if ((keyring === undefined) === (materialsManager === undefined)) {
      throw new InvalidArgumentError('CachingMaterialsManager needs either a keyring or a materialsManager');
    }
    this.backing = materialsManagerFor((keyring ?? materialsManager)!);
    if (typeof cache?.getEncryptionMaterials !== 'function') throw new InvalidArgumentError('CachingMaterialsManager needs a cache');
    this.cache = cache;
    if (typeof maxAge !== 'number' || !(maxAge > 0)) throw new InvalidArgumentError('maxAge must be a positive number of milliseconds');
    this.maxAge = maxAge;
    this.maxMessagesEncrypted = positiveInteger(options.maxMessagesEncrypted, DEFAULT_MAX_MESSAGES, 'maxMessagesEncrypted');
    this.maxBytesEncrypted = positiveInteger(options.maxBytesEncrypted, Number.MAX_SAFE_INTEGER, 'maxBytesEncrypted');
    if (options.partition !== undefined && typeof options.partition !== 'string') throw new InvalidArgumentError('partition must be a string');
    this.partition = options.partition ?? crypto.randomUUID();
    this.partitionHash = partitionDigest(this.partition);
    this.now = options.now ?? Date.now;
  }

  async getEncryptionMaterials(request: EncryptionRequest): Promise<EncryptionMaterials> {
    const { suite, plaintextLength } = request;
    const encryptionContext = checkCallerContext(request.encryptionContext);
    // Context kept out of the header (RequiredEncryptionContextCMM) is not part of a cache id: uncached.
    if (typeof plaintextLength !== 'number' || !(plaintextLength >= 0) || plaintextLength > this.maxBytesEncrypted || request.requiredContextKeys?.length) {
      return this.backing.getEncryptionMaterials(request);
    }
    const id = encryptionCacheId(this.partitionHash, suite, encryptionContext);

    for (;;) {
      const entry = await this.cache.getEncryptionMaterials(id, plaintextLength);
      if (entry !== undefined) {
        const usable =
          entry.materials.suite.id === suite.id &&
          this.now() < entry.expiresAt &&
          entry.messagesEncrypted <= this.maxMessagesEncrypted &&
          entry.bytesEncrypted <= this.maxBytesEncrypted;
        if (usable) return entry.materials;
        await this.cache.delete(id);
      }
      const inFlight = this.pending.get(id);
      if (inFlight === undefined) break;
      await inFlight.catch(() => undefined);
    }

    return this.fill(id, async () => {
      const materials = await this.backing.getEncryptionMaterials({ suite, encryptionContext, plaintextLength: this.maxBytesEncrypted });
      if (materials.suite.id !== suite.id) throw new KeyringError('materials manager changed the algorithm suite');
      const hkdfDataKey = materials.hkdfDataKey ?? (await importDataKey(suite, materials.plaintextDataKey ?? new Uint8Array(0)));
      const { plaintextDataKey: _omitted, ...rest } = materials;
      const cached: EncryptionMaterials = Object.freeze({ ...rest, hkdfDataKey });
      // An entry that is already over a limit (only possible with maxMessagesEncrypted < 1,
      // which the constructor refuses, or a message over maxBytesEncrypted, which bypassed the
      // cache above) is never stored.
      if (1 <= this.maxMessagesEncrypted && plaintextLength <= this.maxBytesEncrypted) {
        await this.cache.putEncryptionMaterials(id, {
          kind: 'encrypt',
          materials: cached,
          expiresAt: this.now() + this.maxAge,
          messagesEncrypted: 1,
          bytesEncrypted: plaintextLength,
        });
      }
      return Object.freeze({ ...materials, hkdfDataKey });
    });
  }

  async decryptMaterials(request: DecryptionRequest): Promise<DecryptionMaterials> {
    const { suite, encryptionContext, encryptedDataKeys } = request;
    if (request.reproducedContext !== undefined) return this.backing.decryptMaterials(request);
    const id = decryptionCacheId(this.partitionHash, suite, encryptedDataKeys, encryptionContext);

    for (;;) {
      const entry = await this.cache.getDecryptionMaterials(id);
      if (entry !== undefined) {
        if (entry.materials.suite.id === suite.id && this.now() < entry.expiresAt) return entry.materials;
        await this.cache.delete(id);
      }
      const inFlight = this.pending.get(id);
      if (inFlight === undefined) break;
      await inFlight.catch(() => undefined);
    }

    return this.fill(id, async () => {
      const materials = await this.backing.decryptMaterials(request);
      if (materials.suite.id !== suite.id) throw new KeyringError('materials manager changed the algorithm suite');
      const hkdfDataKey = materials.hkdfDataKey ?? (await importDataKey(suite, materials.plaintextDataKey ?? new Uint8Array(0)));
      const { plaintextDataKey: _omitted, ...rest } = materials;
      await this.cache.putDecryptionMaterials(id, {
        kind: 'decrypt',
        materials: Object.freeze({ ...rest, hkdfDataKey }),
        expiresAt: this.now() + this.maxAge,
      });
      return Object.freeze({ ...materials, hkdfDataKey });
    });
  }

  private async fill<T>(id: string, work: () => Promise<T>): Promise<T> {
    const promise = work();
    this.pending.set(id, promise);
    try {
      return await promise;
    } finally {
      if (this.pending.get(id) === promise) this.pending.delete(id);
    }
  }
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${name} must be a positive integer`);
  }
  return value;
}
