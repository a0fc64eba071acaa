/**
 * In-memory materials cache, least recently used first out once `capacity` entries are held
 * (the AWS Encryption SDK's local cache). Entries live as long as the object: nothing is persisted.
 */
import { InvalidArgumentError } from '../errors';
import type { DecryptionCacheEntry, EncryptionCacheEntry, MaterialsCache } from './cache';

export interface LocalCacheOptions {
  /** Most entries held (encryption and decryption together); the least recently used goes first. */
  readonly capacity: number;
}

type Entry = EncryptionCacheEntry | DecryptionCacheEntry;

export class LocalCache implements MaterialsCache {
  readonly capacity: number;
  // A Map iterates in insertion order; re-inserting on every use keeps the LRU entry first.
  private readonly entries = new Map<string, Entry>();

  constructor(options: LocalCacheOptions) {
    const capacity = options?.capacity;
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new InvalidArgumentError('LocalCache capacity must be a positive integer');
    this.capacity = capacity;
  }

  /** Entries currently held. */
  get size(): number {
    return this.entries.size;
  }

  async getEncryptionMaterials(id: string, plaintextLength: number): Promise<EncryptionCacheEntry | undefined> {
    const entry = this.entries.get(id);
    if (entry?.kind !== 'encrypt') return undefined;
    const counted: EncryptionCacheEntry = Object.freeze({
      ...entry,
      messagesEncrypted: entry.messagesEncrypted + 1,
      bytesEncrypted: entry.bytesEncrypted + plaintextLength,
    });
    this.set(id, counted);
    return counted;
  }

  async putEncryptionMaterials(id: string, entry: EncryptionCacheEntry): Promise<void> {
    this.set(id, Object.freeze({ ...entry }));
  }

  async getDecryptionMaterials(id: string): Promise<DecryptionCacheEntry | undefined> {
    const entry = this.entries.get(id);
    if (entry?.kind !== 'decrypt') return undefined;
    this.set(id, entry);
    return entry;
  }

  async putDecryptionMaterials(id: string, entry: DecryptionCacheEntry): Promise<void> {
    this.set(id, Object.freeze({ ...entry }));
  }

  async delete(id: string): Promise<void> {
    this.entries.delete(id);
  }

  /** Drops every entry. */
  clear(): void {
    this.entries.clear();
  }

  private set(id: string, entry: Entry): void {
    this.entries.delete(id);
    this.entries.set(id, entry);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
