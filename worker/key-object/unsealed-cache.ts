/**
 * How long a key version's unsealed root key may stay in its object's memory
 * once unsealed. The runtime evicts an idle object (and its memory) on its
 * own, but an object in steady use is never idle: without a limit, plaintext
 * root keys would stay in memory for as long as traffic lasts. Unsealing
 * again costs one HKDF and one AES-GCM decryption per version per lifetime.
 */
export const UNSEALED_LIFETIME_MS = 5 * 60_000;

interface Entry<T> {
  value: Promise<T>;
  expires: number;
}

/**
 * A key object's unsealed versions, each kept for at most
 * UNSEALED_LIFETIME_MS. An entry that expires is dropped, not wiped: a
 * request already holding it may still be using its bytes, and it goes with
 * the garbage collector once that request is done.
 */
export class UnsealedCache<T> {
  private readonly entries = new Map<number, Entry<T>>();

  /** The version's material if it is still held (for tests and for wiping). */
  get(version: number): Promise<T> | undefined {
    const entry = this.entries.get(version);
    return entry && entry.expires > Date.now() ? entry.value : undefined;
  }

  /** The version's material, unsealed with `unseal` if it is not held or has expired; a failed unseal is not kept. */
  obtain(version: number, unseal: () => Promise<T>): Promise<T> {
    const now = Date.now();
    for (const [held, entry] of this.entries) if (entry.expires <= now) this.entries.delete(held);
    const current = this.entries.get(version);
    if (current) return current.value;
    const entry: Entry<T> = { value: unseal(), expires: now + UNSEALED_LIFETIME_MS };
    this.entries.set(version, entry);
    entry.value.catch(() => {
      if (this.entries.get(version) === entry) this.entries.delete(version);
    });
    return entry.value;
  }

  /** Removes every entry and returns their material, for the caller to wipe. */
  takeAll(): Promise<T>[] {
    const values = [...this.entries.values()].map((entry) => entry.value);
    this.entries.clear();
    return values;
  }

  get size(): number {
    return this.entries.size;
  }
}
