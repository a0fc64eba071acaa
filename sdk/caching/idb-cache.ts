/**
 * A materials cache persisted in the browser's IndexedDB (through `idb`), so data keys survive a
 * page reload and are shared by the tabs of an origin.
 *
 * No raw key bytes are written. A record holds the data key as a non-extractable WebCrypto HKDF
 * `CryptoKey` (IndexedDB stores CryptoKeys by structured clone, and a non-extractable one stays
 * so: exportKey refuses it), plus what is public anyway: suite, context, encrypted data keys,
 * verification key, limits and counters. The message format feeds the data key to HKDF, never to
 * AES directly, which is why it is an HKDF key and not an AES-GCM one: WebCrypto derives each
 * message's AES-GCM key and commit key from it.
 *
 * Non-extractable is not unusable: any script running in the origin can open this database and
 * call deriveBits on the key (it must allow deriveBits, for the commit key), which yields any
 * message's AES key and commit key as bytes, so it can decrypt every message under a cached data
 * key, and (encryption entries) write new ones, while the record exists; it can also copy the key
 * into storage of its own, beyond maxAge. See sdk/README.md, "What a non-extractable key does not
 * protect against".
 *
 * Encryption entries of signed suites also hold the P-384 signing key, whose scalar the signer
 * needs as bytes (WebCrypto cannot sign an incrementally hashed stream). Those are therefore
 * never persisted: they stay in memory in this object, as in a LocalCache.
 *
 * Usage counters are updated in one IndexedDB read-write transaction per use, so tabs sharing an
 * entry all count against its limits.
 */
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import { InvalidArgumentError } from '../errors';
import { frozenContext } from '../format';
import type { DecryptionMaterials, EncryptedDataKey, EncryptionMaterials } from '../materials';
import { findSuite } from '../suites';
import type { DecryptionCacheEntry, EncryptionCacheEntry, MaterialsCache } from './cache';
import { LocalCache } from './local-cache';

const STORE = 'entries';
const DEFAULT_DATABASE = 'edgekms-data-keys';
const DEFAULT_CAPACITY = 1000;

/** One stored encrypted data key (all three fields are in every message header). */
interface StoredEncryptedDataKey {
  providerId: string;
  providerInfo: Uint8Array;
  ciphertext: Uint8Array;
}

interface RecordBase {
  id: string;
  suiteId: number;
  /** Non-extractable HKDF key, usages deriveKey + deriveBits. */
  dataKey: CryptoKey;
  encryptionContext: Record<string, string>;
  expiresAt: number;
  /** For least-recently-used eviction. */
  lastUsed: number;
}

export interface IdbEncryptionRecord extends RecordBase {
  kind: 'encrypt';
  encryptedDataKeys: StoredEncryptedDataKey[];
  messagesEncrypted: number;
  bytesEncrypted: number;
}

export interface IdbDecryptionRecord extends RecordBase {
  kind: 'decrypt';
  /** Compressed P-384 public key (signed suites); public, it is in the message's context. */
  verificationKey?: Uint8Array;
}

export type IdbCacheRecord = IdbEncryptionRecord | IdbDecryptionRecord;

interface CacheSchema extends DBSchema {
  entries: { key: string; value: IdbCacheRecord; indexes: { lastUsed: number } };
}

export interface IdbCacheOptions {
  /** IndexedDB database name (default "edgekms-data-keys"). */
  readonly name?: string;
  /** Most persisted entries; the least recently used go first (default 1000). */
  readonly capacity?: number;
  /** Clock (ms) used to delete expired records on open; use the caching manager's. Default Date.now. */
  readonly now?: () => number;
}

export class IdbCache implements MaterialsCache {
  readonly name: string;
  readonly capacity: number;
  private readonly memory: LocalCache;
  private lastUsedCounter = 0;

  private constructor(
    private readonly db: IDBPDatabase<CacheSchema>,
    name: string,
    capacity: number,
  ) {
    this.name = name;
    this.capacity = capacity;
    this.memory = new LocalCache({ capacity });
  }

  /** Opens (creating if needed) the database; throws InvalidArgumentError where there is no IndexedDB. */
  static async open(options: IdbCacheOptions = {}): Promise<IdbCache> {
    // Looked up on globalThis: the Workers type definitions (rightly) have no indexedDB.
    if (typeof (globalThis as { indexedDB?: unknown }).indexedDB === 'undefined') throw new InvalidArgumentError('IdbCache needs IndexedDB, which this runtime lacks');
    const name = options.name ?? DEFAULT_DATABASE;
    const capacity = options.capacity ?? DEFAULT_CAPACITY;
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new InvalidArgumentError('IdbCache capacity must be a positive integer');
    const db = await openDB<CacheSchema>(name, 1, {
      upgrade(database) {
        const store = database.createObjectStore(STORE, { keyPath: 'id' });
        store.createIndex('lastUsed', 'lastUsed');
      },
    });
    const cache = new IdbCache(db, name, capacity);
    await cache.deleteExpired((options.now ?? Date.now)());
    return cache;
  }

  async getEncryptionMaterials(id: string, plaintextLength: number): Promise<EncryptionCacheEntry | undefined> {
    const inMemory = await this.memory.getEncryptionMaterials(id, plaintextLength);
    if (inMemory !== undefined) return inMemory;
    const tx = this.db.transaction(STORE, 'readwrite');
    const record = await tx.store.get(id);
    let entry: EncryptionCacheEntry | undefined;
    if (record?.kind === 'encrypt') {
      record.messagesEncrypted += 1;
      record.bytesEncrypted += plaintextLength;
      record.lastUsed = this.stamp();
      await tx.store.put(record);
      entry = encryptionEntry(record);
    }
    await tx.done;
    return entry;
  }

  async putEncryptionMaterials(id: string, entry: EncryptionCacheEntry): Promise<void> {
    const { materials } = entry;
    if (materials.signingKey !== undefined) return this.memory.putEncryptionMaterials(id, entry);
    const record: IdbEncryptionRecord = {
      id,
      kind: 'encrypt',
      suiteId: materials.suite.id,
      dataKey: storableKey(materials.hkdfDataKey),
      encryptionContext: { ...materials.encryptionContext },
      encryptedDataKeys: materials.encryptedDataKeys.map((edk) => ({
        providerId: edk.providerId,
        providerInfo: Uint8Array.from(edk.providerInfo),
        ciphertext: Uint8Array.from(edk.ciphertext),
      })),
      expiresAt: entry.expiresAt,
      messagesEncrypted: entry.messagesEncrypted,
      bytesEncrypted: entry.bytesEncrypted,
      lastUsed: this.stamp(),
    };
    await this.store(record);
  }

  async getDecryptionMaterials(id: string): Promise<DecryptionCacheEntry | undefined> {
    const tx = this.db.transaction(STORE, 'readwrite');
    const record = await tx.store.get(id);
    let entry: DecryptionCacheEntry | undefined;
    if (record?.kind === 'decrypt') {
      record.lastUsed = this.stamp();
      await tx.store.put(record);
      entry = decryptionEntry(record);
    }
    await tx.done;
    return entry;
  }

  async putDecryptionMaterials(id: string, entry: DecryptionCacheEntry): Promise<void> {
    const { materials } = entry;
    const record: IdbDecryptionRecord = {
      id,
      kind: 'decrypt',
      suiteId: materials.suite.id,
      dataKey: storableKey(materials.hkdfDataKey),
      encryptionContext: { ...materials.encryptionContext },
      ...(materials.verificationKey === undefined ? {} : { verificationKey: Uint8Array.from(materials.verificationKey) }),
      expiresAt: entry.expiresAt,
      lastUsed: this.stamp(),
    };
    await this.store(record);
  }

  async delete(id: string): Promise<void> {
    await this.memory.delete(id);
    await this.db.delete(STORE, id);
  }

  /** Deletes every record that expired before `now`. */
  async deleteExpired(now: number = Date.now()): Promise<void> {
    const tx = this.db.transaction(STORE, 'readwrite');
    for (let cursor = await tx.store.openCursor(); cursor; cursor = await cursor.continue()) {
      if (!(now < cursor.value.expiresAt)) await cursor.delete();
    }
    await tx.done;
  }

  /** Deletes every entry, persisted and in memory. */
  async clear(): Promise<void> {
    this.memory.clear();
    await this.db.clear(STORE);
  }

  close(): void {
    this.db.close();
  }

  /** Writes a record, then evicts the least recently used beyond capacity, in one transaction. */
  private async store(record: IdbCacheRecord): Promise<void> {
    const tx = this.db.transaction(STORE, 'readwrite');
    await tx.store.put(record);
    let excess = (await tx.store.count()) - this.capacity;
    if (excess > 0) {
      for (let cursor = await tx.store.index('lastUsed').openCursor(); cursor && excess > 0; cursor = await cursor.continue()) {
        await cursor.delete();
        excess -= 1;
      }
    }
    await tx.done;
  }

  /** Wall-clock order across tabs, strictly increasing within this one. */
  private stamp(): number {
    this.lastUsedCounter = Math.max(this.lastUsedCounter + 1e-3, Date.now());
    return this.lastUsedCounter;
  }
}

function storableKey(key: CryptoKey | undefined): CryptoKey {
  if (key === undefined || key.extractable || key.algorithm.name !== 'HKDF') {
    throw new InvalidArgumentError('IdbCache stores data keys only as non-extractable HKDF CryptoKeys');
  }
  return key;
}

function encryptionEntry(record: IdbEncryptionRecord): EncryptionCacheEntry | undefined {
  const suite = findSuite(record.suiteId);
  if (suite === undefined) return undefined;
  const encryptedDataKeys: readonly EncryptedDataKey[] = Object.freeze(
    record.encryptedDataKeys.map((edk) => Object.freeze({ providerId: edk.providerId, providerInfo: edk.providerInfo, ciphertext: edk.ciphertext })),
  );
  const materials: EncryptionMaterials = Object.freeze({
    suite,
    encryptionContext: frozenContext(record.encryptionContext),
    encryptedDataKeys,
    hkdfDataKey: record.dataKey,
  });
  return Object.freeze({
    kind: 'encrypt',
    materials,
    expiresAt: record.expiresAt,
    messagesEncrypted: record.messagesEncrypted,
    bytesEncrypted: record.bytesEncrypted,
  });
}

function decryptionEntry(record: IdbDecryptionRecord): DecryptionCacheEntry | undefined {
  const suite = findSuite(record.suiteId);
  if (suite === undefined) return undefined;
  const materials: DecryptionMaterials = Object.freeze({
    suite,
    encryptionContext: frozenContext(record.encryptionContext),
    ...(record.verificationKey === undefined ? {} : { verificationKey: record.verificationKey }),
    hkdfDataKey: record.dataKey,
  });
  return Object.freeze({ kind: 'decrypt', materials, expiresAt: record.expiresAt });
}
