/**
 * Data key caching: the caching materials manager over a counting keyring, with the in-memory
 * LocalCache and (where the runtime has IndexedDB) the persisted IdbCache. Web platform only, so
 * it runs unchanged in Node, workerd and Chromium; the clock is injected, nothing sleeps.
 */
import { describe, expect, it } from 'vitest';
import { openDB } from 'idb';
import {
  CachingMaterialsManager,
  type DecryptionMaterials,
  type EncryptedDataKey,
  type EncryptionMaterials,
  IdbCache,
  type IdbCacheRecord,
  type Keyring,
  LocalCache,
  type MaterialsCache,
  PUBLIC_KEY_CONTEXT_KEY,
  SUITE_AES256_HKDF_SHA512_COMMIT_KEY,
  SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
  type SuiteId,
  decrypt,
  decryptStream,
  encrypt,
  encryptStream,
  findSuite,
} from '../../sdk/index';
import { expectRejection, expectSameBytes, hex, randomBytes, rawKeyring } from './helpers';

const UNSIGNED = SUITE_AES256_HKDF_SHA512_COMMIT_KEY;
const SIGNED = SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384;

/** A raw AES keyring that counts what it is asked to do and remembers the data keys it saw. */
class CountingKeyring implements Keyring {
  generated = 0;
  unwrapped = 0;
  readonly dataKeys: Uint8Array[] = [];
  private readonly inner = rawKeyring();

  async onEncrypt(materials: EncryptionMaterials): Promise<EncryptionMaterials> {
    if (materials.plaintextDataKey === undefined) this.generated += 1;
    const result = await this.inner.onEncrypt(materials);
    this.dataKeys.push(Uint8Array.from(result.plaintextDataKey!));
    return result;
  }

  async onDecrypt(materials: DecryptionMaterials, edks: readonly EncryptedDataKey[]): Promise<DecryptionMaterials> {
    this.unwrapped += 1;
    const result = await this.inner.onDecrypt(materials, edks);
    // Where WebCrypto unwraps into an HKDF key, the keyring never has the bytes (hkdfDataKey).
    if (result.plaintextDataKey !== undefined) this.dataKeys.push(Uint8Array.from(result.plaintextDataKey));
    return result;
  }
}

class Clock {
  time = 1_700_000_000_000;
  readonly now = (): number => this.time;
}

interface Setup {
  keyring: CountingKeyring;
  clock: Clock;
  cache: MaterialsCache;
  manager: CachingMaterialsManager;
}

function setup(
  limits: { maxAge?: number; maxMessagesEncrypted?: number; maxBytesEncrypted?: number; capacity?: number; partition?: string } = {},
  cache: MaterialsCache = new LocalCache({ capacity: limits.capacity ?? 100 }),
  keyring = new CountingKeyring(),
): Setup {
  const clock = new Clock();
  const manager = new CachingMaterialsManager({
    keyring,
    cache,
    maxAge: limits.maxAge ?? 60_000,
    ...(limits.maxMessagesEncrypted === undefined ? {} : { maxMessagesEncrypted: limits.maxMessagesEncrypted }),
    ...(limits.maxBytesEncrypted === undefined ? {} : { maxBytesEncrypted: limits.maxBytesEncrypted }),
    ...(limits.partition === undefined ? {} : { partition: limits.partition }),
    now: clock.now,
  });
  return { keyring, clock, cache, manager };
}

const CONTEXT = { tenant: 'acme', purpose: 'caching-test' };

async function encryptMany(
  manager: CachingMaterialsManager,
  count: number,
  options: { size?: number; suite?: SuiteId; encryptionContext?: Record<string, string> } = {},
): Promise<{ plaintext: Uint8Array; ciphertext: Uint8Array }[]> {
  const out = [];
  for (let i = 0; i < count; i++) {
    const plaintext = randomBytes(options.size ?? 16);
    const { ciphertext } = await encrypt(manager, plaintext, {
      encryptionContext: options.encryptionContext ?? CONTEXT,
      suite: options.suite ?? UNSIGNED,
    });
    out.push({ plaintext, ciphertext });
  }
  return out;
}

describe('CachingMaterialsManager: encryption', () => {
  it('1,000 small messages under one context make exactly one generate call, and each decrypts with a fresh keyring', async () => {
    const { keyring, manager } = setup({ maxMessagesEncrypted: 1000 });
    const messages = await encryptMany(manager, 1000);
    expect(keyring.generated).toBe(1);
    const fresh = rawKeyring();
    for (const { plaintext, ciphertext } of messages) {
      const result = await decrypt(fresh, ciphertext, { expectedContext: CONTEXT });
      expectSameBytes(result.plaintext, plaintext);
    }
  });

  it('signed suite: messages of one entry share its data key and signing key, and verify with a fresh keyring', async () => {
    const { keyring, manager } = setup();
    const messages = await encryptMany(manager, 20, { suite: SIGNED });
    expect(keyring.generated).toBe(1);
    const fresh = rawKeyring();
    const publicKeys = new Set<string>();
    for (const { plaintext, ciphertext } of messages) {
      const result = await decrypt(fresh, ciphertext, { expectedContext: CONTEXT });
      expectSameBytes(result.plaintext, plaintext);
      publicKeys.add(result.encryptionContext[PUBLIC_KEY_CONTEXT_KEY]!);
    }
    expect(publicKeys.size).toBe(1);
  });

  it('crossing maxMessagesEncrypted makes exactly one new call', async () => {
    const { keyring, manager } = setup({ maxMessagesEncrypted: 10 });
    await encryptMany(manager, 10);
    expect(keyring.generated).toBe(1);
    await encryptMany(manager, 1);
    expect(keyring.generated).toBe(2);
    await encryptMany(manager, 9);
    expect(keyring.generated).toBe(2);
    await encryptMany(manager, 1);
    expect(keyring.generated).toBe(3);
  });

  it('crossing maxBytesEncrypted (counting the message being encrypted) makes exactly one new call', async () => {
    const { keyring, manager } = setup({ maxBytesEncrypted: 1000 });
    await encryptMany(manager, 10, { size: 100 }); // exactly 1000 bytes: within the limit
    expect(keyring.generated).toBe(1);
    await encryptMany(manager, 1, { size: 1 }); // 1001 bytes: a new data key
    expect(keyring.generated).toBe(2);
    await encryptMany(manager, 9, { size: 111 }); // 1 + 999 = 1000
    expect(keyring.generated).toBe(2);
    await encryptMany(manager, 1, { size: 1 });
    expect(keyring.generated).toBe(3);
  });

  it('a message larger than maxBytesEncrypted bypasses the cache and leaves the entry alone', async () => {
    const { keyring, manager } = setup({ maxBytesEncrypted: 1000 });
    await encryptMany(manager, 1, { size: 10 });
    expect(keyring.generated).toBe(1);
    const [big] = await encryptMany(manager, 1, { size: 1001 });
    expect(keyring.generated).toBe(2);
    await encryptMany(manager, 1, { size: 1001 });
    expect(keyring.generated).toBe(3);
    await encryptMany(manager, 5, { size: 10 });
    expect(keyring.generated).toBe(3); // the small messages' entry is still in use
    const result = await decrypt(rawKeyring(), big!.ciphertext);
    expectSameBytes(result.plaintext, big!.plaintext);
  });

  it('crossing maxAge makes exactly one new call (injected clock)', async () => {
    const { keyring, manager, clock } = setup({ maxAge: 60_000 });
    await encryptMany(manager, 3);
    clock.time += 59_999;
    await encryptMany(manager, 3);
    expect(keyring.generated).toBe(1);
    clock.time += 1; // the entry's age is now exactly maxAge: no longer usable
    await encryptMany(manager, 3);
    expect(keyring.generated).toBe(2);
    clock.time += 59_999;
    await encryptMany(manager, 1);
    expect(keyring.generated).toBe(2);
  });

  it('different contexts, suites and partitions do not share entries; one partition shares across managers', async () => {
    const cache = new LocalCache({ capacity: 100 });
    const { keyring, manager } = setup({}, cache);
    await encryptMany(manager, 2, { encryptionContext: { tenant: 'a' } });
    await encryptMany(manager, 2, { encryptionContext: { tenant: 'b' } });
    await encryptMany(manager, 2, { encryptionContext: {} });
    expect(keyring.generated).toBe(3);
    await encryptMany(manager, 2, { encryptionContext: { tenant: 'a' }, suite: SIGNED });
    expect(keyring.generated).toBe(4);
    await encryptMany(manager, 1, { encryptionContext: { tenant: 'a' } });
    await encryptMany(manager, 1, { encryptionContext: { tenant: 'a' }, suite: SIGNED });
    expect(keyring.generated).toBe(4);

    // A second manager on the same cache has its own random partition...
    const other = setup({}, cache, keyring);
    await encryptMany(other.manager, 1, { encryptionContext: { tenant: 'a' } });
    expect(keyring.generated).toBe(5);
    // ...unless both name the same one.
    const named1 = setup({ partition: 'shared' }, cache, keyring);
    const named2 = setup({ partition: 'shared' }, cache, keyring);
    await encryptMany(named1.manager, 1);
    await encryptMany(named2.manager, 1);
    expect(keyring.generated).toBe(6);
  });

  it('concurrent requests for one missing entry make one call', async () => {
    const { keyring, manager } = setup();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => encrypt(manager, 'concurrent', { encryptionContext: CONTEXT })),
    );
    expect(keyring.generated).toBe(1);
    expect(new Set(results.map((r) => hex(r.header.encryptedDataKeys[0]!.ciphertext))).size).toBe(1);
  });

  it('requests without a plaintext length (streams) bypass the cache', async () => {
    const { keyring, manager } = setup();
    const suite = findSuite(UNSIGNED)!;
    await manager.getEncryptionMaterials({ suite, encryptionContext: CONTEXT });
    await manager.getEncryptionMaterials({ suite, encryptionContext: CONTEXT });
    expect(keyring.generated).toBe(2);
  });

  it('cached materials carry only a non-extractable HKDF key, never the raw data key', async () => {
    const { keyring, manager } = setup();
    const suite = findSuite(UNSIGNED)!;
    const first = await manager.getEncryptionMaterials({ suite, encryptionContext: CONTEXT, plaintextLength: 1 });
    expect(first.plaintextDataKey).toBeDefined(); // the caller of the miss gets the keyring's materials
    const cached = await manager.getEncryptionMaterials({ suite, encryptionContext: CONTEXT, plaintextLength: 1 });
    expect(keyring.generated).toBe(1);
    expect(cached.plaintextDataKey).toBeUndefined();
    expect(cached.hkdfDataKey!.extractable).toBe(false);
    expect(cached.hkdfDataKey!.algorithm.name).toBe('HKDF');
    await expect(crypto.subtle.exportKey('raw', cached.hkdfDataKey!)).rejects.toThrow();
    // Not exportable, but usable by whoever holds it: sdk/README.md, "What a non-extractable key does not protect against".
    expect(cached.hkdfDataKey!.usages).toContain('deriveBits');
  });

  it('refuses reserved context keys even on a cache hit', async () => {
    const { manager } = setup();
    await expectRejection(
      encrypt(manager, 'x', { encryptionContext: { [PUBLIC_KEY_CONTEXT_KEY]: 'forged' } }),
      'InvalidArgumentError',
    );
  });

  it('validates its options', () => {
    const keyring = new CountingKeyring();
    const cache = new LocalCache({ capacity: 1 });
    expect(() => new CachingMaterialsManager({ keyring, cache, maxAge: 0 })).toThrow(/maxAge/);
    expect(() => new CachingMaterialsManager({ keyring, cache, maxAge: 1, maxMessagesEncrypted: 0 })).toThrow(/maxMessagesEncrypted/);
    expect(() => new CachingMaterialsManager({ keyring, cache, maxAge: 1, maxBytesEncrypted: 1.5 })).toThrow(/maxBytesEncrypted/);
    expect(() => new CachingMaterialsManager({ cache, maxAge: 1 } as never)).toThrow(/keyring or a materialsManager/);
    expect(() => new LocalCache({ capacity: 0 })).toThrow(/capacity/);
  });
});

describe('CachingMaterialsManager: decryption', () => {
  async function messages(count: number, suite: SuiteId = UNSIGNED): Promise<Uint8Array[]> {
    const writer = rawKeyring();
    const out = [];
    for (let i = 0; i < count; i++) out.push((await encrypt(writer, `message ${i}`, { encryptionContext: CONTEXT, suite })).ciphertext);
    return out;
  }

  it('repeated decryption of one message unwraps its EDKs once', async () => {
    for (const suite of [UNSIGNED, SIGNED] as const) {
      const { keyring, manager } = setup();
      const [message] = await messages(1, suite);
      for (let i = 0; i < 100; i++) {
        const { plaintext } = await decrypt(manager, message!, { expectedContext: CONTEXT });
        expect(new TextDecoder().decode(plaintext)).toBe('message 0');
      }
      expect(keyring.unwrapped).toBe(1);
    }
  });

  it('messages of one cached encryption entry share EDKs, so decrypting them all unwraps once', async () => {
    const writer = setup();
    const written = await encryptMany(writer.manager, 20);
    const reader = setup();
    for (const { plaintext, ciphertext } of written) {
      expectSameBytes((await decrypt(reader.manager, ciphertext)).plaintext, plaintext);
    }
    expect(reader.keyring.unwrapped).toBe(1);
  });

  it('different EDKs are different entries, and entries expire after maxAge', async () => {
    const { keyring, manager, clock } = setup({ maxAge: 1000 });
    const [a, b] = await messages(2);
    await decrypt(manager, a!);
    await decrypt(manager, b!);
    await decrypt(manager, a!);
    expect(keyring.unwrapped).toBe(2);
    clock.time += 1000;
    await decrypt(manager, a!);
    expect(keyring.unwrapped).toBe(3);
  });

  it('a tampered message is still refused on a cache hit', async () => {
    const { manager } = setup();
    const [message] = await messages(1);
    await decrypt(manager, message!);
    const tampered = Uint8Array.from(message!);
    tampered[tampered.byteLength - 20]! ^= 1; // inside the last frame
    await expectRejection(decrypt(manager, tampered), 'AuthenticationError');
  });
});

describe('CachingMaterialsManager: streams', () => {
  async function pipe(bytes: Uint8Array, transform: TransformStream<Uint8Array, Uint8Array>): Promise<Uint8Array> {
    const out = new Uint8Array(await new Response(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(transform)).arrayBuffer());
    return out;
  }

  it('encryptStream (length unknown) bypasses the cache; decryptStream uses cached decryption materials', async () => {
    const { keyring, manager } = setup();
    const plaintext = randomBytes(5000);
    const first = await pipe(plaintext, encryptStream(manager, { encryptionContext: CONTEXT, frameLength: 1024 }));
    const second = await pipe(plaintext, encryptStream(manager, { encryptionContext: CONTEXT, frameLength: 1024 }));
    expect(keyring.generated).toBe(2);
    const [cached] = await encryptMany(manager, 1); // a buffer message: cached
    for (const message of [first, second, cached!.ciphertext, first, second, cached!.ciphertext]) {
      await pipe(message, decryptStream(manager, { expectedContext: CONTEXT }));
    }
    expect(keyring.unwrapped).toBe(3);
    expectSameBytes(await pipe(first, decryptStream(manager)), plaintext);
    expectSameBytes(await pipe(cached!.ciphertext, decryptStream(rawKeyring())), cached!.plaintext);
  });
});

describe('LocalCache', () => {
  it('evicts the least recently used entry beyond its capacity', async () => {
    const cache = new LocalCache({ capacity: 2 });
    const { keyring, manager } = setup({}, cache);
    await encryptMany(manager, 1, { encryptionContext: { k: 'a' } });
    await encryptMany(manager, 1, { encryptionContext: { k: 'b' } });
    await encryptMany(manager, 1, { encryptionContext: { k: 'a' } }); // a is now the most recent
    expect(keyring.generated).toBe(2);
    await encryptMany(manager, 1, { encryptionContext: { k: 'c' } }); // evicts b
    expect(keyring.generated).toBe(3);
    expect(cache.size).toBe(2);
    await encryptMany(manager, 1, { encryptionContext: { k: 'a' } });
    expect(keyring.generated).toBe(3);
    await encryptMany(manager, 1, { encryptionContext: { k: 'b' } });
    expect(keyring.generated).toBe(4);
  });
});

const hasIndexedDB = typeof indexedDB !== 'undefined';

/** Every byte sequence reachable from a stored record, and every string. */
function collect(value: unknown, bytes: Uint8Array[], strings: string[]): void {
  if (typeof value === 'string') strings.push(value);
  else if (value instanceof ArrayBuffer) bytes.push(new Uint8Array(value));
  else if (ArrayBuffer.isView(value)) bytes.push(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  else if (typeof value === 'object' && value !== null && !(value instanceof CryptoKey)) {
    for (const item of Object.values(value)) collect(item, bytes, strings);
  }
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.byteLength <= haystack.byteLength; i++) {
    for (let j = 0; j < needle.byteLength; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

describe.skipIf(!hasIndexedDB)(
  `IdbCache${hasIndexedDB ? '' : ' (skipped: this runtime has no indexedDB; the suite runs in Chromium)'}`,
  () => {
    it('persists data keys across cache instances, as non-extractable HKDF keys only', async () => {
      const name = `edgekms-caching-test-${crypto.randomUUID()}`;
      const limits = { partition: 'app', maxMessagesEncrypted: 100 };
      const clock = new Clock();
      const otherMessage = (await encrypt(rawKeyring(), 'written elsewhere', { encryptionContext: CONTEXT })).ciphertext;

      const cache1 = await IdbCache.open({ name, now: clock.now });
      const first = setup(limits, cache1);
      const written1 = await encryptMany(first.manager, 5);
      await encryptMany(first.manager, 2, { suite: SIGNED });
      await decrypt(first.manager, otherMessage);
      expect(first.keyring.generated).toBe(2);
      expect(first.keyring.unwrapped).toBe(1);
      cache1.close();

      const cache2 = await IdbCache.open({ name, now: clock.now });
      const second = setup(limits, cache2);
      const written2 = await encryptMany(second.manager, 5);
      await decrypt(second.manager, otherMessage);
      expect(second.keyring.generated).toBe(0); // the unsigned entry came from IndexedDB
      expect(second.keyring.unwrapped).toBe(0);
      // Signing keys are never persisted, so the signed suite asks the keyring again.
      await encryptMany(second.manager, 1, { suite: SIGNED });
      expect(second.keyring.generated).toBe(1);

      const fresh = rawKeyring();
      for (const { plaintext, ciphertext } of [...written1, ...written2]) {
        expectSameBytes((await decrypt(fresh, ciphertext)).plaintext, plaintext);
      }
      cache2.close();

      // What is stored: no raw data key anywhere, in any encoding; the key is a non-extractable HKDF CryptoKey.
      const db = await openDB(name);
      const records = (await db.getAll('entries')) as IdbCacheRecord[];
      db.close();
      expect(records.map((r) => r.kind).sort()).toEqual(['decrypt', 'encrypt']);
      const encryptRecord = records.find((r) => r.kind === 'encrypt')!;
      expect(encryptRecord.suiteId).toBe(UNSIGNED); // no signed entry (it would hold a signing key)
      expect(encryptRecord.kind === 'encrypt' && encryptRecord.messagesEncrypted).toBe(10);
      const rawKeys = [...first.keyring.dataKeys, ...second.keyring.dataKeys];
      expect(rawKeys.length).toBeGreaterThanOrEqual(3);
      for (const record of records) {
        expect(record.dataKey).toBeInstanceOf(CryptoKey);
        expect(record.dataKey.extractable).toBe(false);
        expect(record.dataKey.algorithm.name).toBe('HKDF');
        await expect(crypto.subtle.exportKey('raw', record.dataKey)).rejects.toThrow();
        const bytes: Uint8Array[] = [];
        const strings: string[] = [];
        collect(record, bytes, strings);
        for (const key of rawKeys) {
          for (const b of bytes) expect(contains(b, key), 'raw data key bytes in a stored record').toBe(false);
          for (const s of strings) {
            expect(s.includes(hex(key)) || s.includes(base64(key)), 'encoded data key in a stored record').toBe(false);
          }
        }
      }
    });

    it('a stored key is still usable by any script of the origin: the documented limit of non-extractable', async () => {
      const name = `edgekms-caching-test-${crypto.randomUUID()}`;
      const cache = await IdbCache.open({ name });
      const { manager } = setup({}, cache);
      const { header } = await encrypt(manager, 'cached', { encryptionContext: CONTEXT });
      cache.close();
      // Another script of the origin: it opens the database by its name and derives with the record's
      // key, as the SDK does. The commit key it gets is the header's; the AES key would come the same way.
      const db = await openDB(name);
      const [record] = (await db.getAll('entries')) as IdbCacheRecord[];
      db.close();
      expect(record!.dataKey.extractable).toBe(false);
      const params = { name: 'HKDF', hash: 'SHA-512', salt: header.messageId, info: new TextEncoder().encode('COMMITKEY') };
      expectSameBytes(new Uint8Array(await crypto.subtle.deriveBits(params, record!.dataKey, 256)), header.suiteData);
    });

    it('two instances on one database (two tabs) count against the same limits', async () => {
      const name = `edgekms-caching-test-${crypto.randomUUID()}`;
      const [cacheA, cacheB] = await Promise.all([IdbCache.open({ name }), IdbCache.open({ name })]);
      const keyring = new CountingKeyring();
      const a = setup({ partition: 'tabs', maxMessagesEncrypted: 10 }, cacheA!, keyring);
      const b = setup({ partition: 'tabs', maxMessagesEncrypted: 10 }, cacheB!, keyring);
      for (let i = 0; i < 5; i++) {
        await encryptMany(a.manager, 1);
        await encryptMany(b.manager, 1);
      }
      expect(keyring.generated).toBe(1);
      await encryptMany(b.manager, 1); // the 11th message of the entry, whichever tab sends it
      expect(keyring.generated).toBe(2);
      await cacheA!.clear();
      cacheA!.close();
      cacheB!.close();
    });

    it('deletes expired records when opened', async () => {
      const name = `edgekms-caching-test-${crypto.randomUUID()}`;
      const clock = new Clock();
      const cache = await IdbCache.open({ name, now: clock.now });
      const { manager } = setup({ maxAge: 1000 }, cache);
      await encryptMany(manager, 1);
      cache.close();
      const count = async (): Promise<number> => {
        const db = await openDB(name);
        const n = await db.count('entries');
        db.close();
        return n;
      };
      expect(await count()).toBe(1);
      clock.time += 999;
      (await IdbCache.open({ name, now: clock.now })).close();
      expect(await count()).toBe(1);
      clock.time += 1;
      (await IdbCache.open({ name, now: clock.now })).close();
      expect(await count()).toBe(0);
    });

    it('evicts the least recently used records beyond its capacity', async () => {
      const name = `edgekms-caching-test-${crypto.randomUUID()}`;
      const cache = await IdbCache.open({ name, capacity: 2 });
      const { keyring, manager } = setup({}, cache);
      await encryptMany(manager, 1, { encryptionContext: { k: 'a' } });
      await encryptMany(manager, 1, { encryptionContext: { k: 'b' } });
      await encryptMany(manager, 1, { encryptionContext: { k: 'a' } });
      await encryptMany(manager, 1, { encryptionContext: { k: 'c' } }); // evicts b
      await encryptMany(manager, 1, { encryptionContext: { k: 'a' } });
      expect(keyring.generated).toBe(3);
      await encryptMany(manager, 1, { encryptionContext: { k: 'b' } });
      expect(keyring.generated).toBe(4);
      await cache.clear();
      cache.close();
    });
  },
);

it('IdbCache.open explains where IndexedDB is missing', async () => {
  if (hasIndexedDB) return;
  await expectRejection(IdbCache.open(), 'InvalidArgumentError');
});
