/**
 * CacheIdMemo, which spares a repeated context or message its SHA-512s, must answer exactly what
 * computing the identifier would: inputs that differ anywhere, however their text runs together
 * (a key that ends where the next value begins, bytes that look like a separator), get the
 * identifiers of their own inputs, never a remembered one of other inputs. A parsed header's keys
 * and context are remembered by the header bytes they were read from, which must not answer for
 * the same keys with another context.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CacheIdMemo, decryptionCacheId, encryptionCacheId, fnv1a, partitionDigest } from '../../sdk/caching/cache-id';
import { concatBytes } from '../../sdk/bytes';
import { parseHeader, parsedKeyFields, serializeEncryptionContext, serializeHeaderBody } from '../../sdk/format';
import { SUITE_AES256_HKDF_SHA512_COMMIT_KEY, SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384, findSuite } from '../../sdk/index';
import type { EncryptedDataKey } from '../../sdk/materials';

const suites = [findSuite(SUITE_AES256_HKDF_SHA512_COMMIT_KEY)!, findSuite(SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384)!];
const partition = partitionDigest('memo tests');
// Short texts from a small alphabet, separators and digits included, so that collisions of a
// careless rendering (joined fields, unescaped lengths) are likely to be generated.
const text = fc.string({ unit: fc.constantFrom('a', 'b', ':', '|', '1', '2', '"', ',', 'é'), maxLength: 4 });
const context = fc.dictionary(text, text, { maxKeys: 3 });
const bytes = fc.uint8Array({ maxLength: 4 }).map((array) => Uint8Array.from(array));
const edk = fc.record({ providerId: text, providerInfo: bytes, ciphertext: bytes });
const request = fc.record({ suite: fc.constantFrom(...suites), context, edks: fc.array(edk, { maxLength: 3 }) });

describe('CacheIdMemo', () => {
  it('gives each input its own identifier, whatever was asked before', () => {
    fc.assert(
      fc.property(fc.array(request, { minLength: 2, maxLength: 12 }), (requests) => {
        const memo = new CacheIdMemo(8);
        // Each request twice, interleaved, so that remembered identifiers are looked up.
        for (const { suite, context, edks } of [...requests, ...requests.reverse()]) {
          expect(memo.encryption(partition, suite, context)).toBe(encryptionCacheId(partition, suite, context));
          expect(memo.decryption(partition, suite, edks, context)).toBe(decryptionCacheId(partition, suite, edks, context));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('tells apart contexts and encrypted data keys whose fields run together', () => {
    const memo = new CacheIdMemo();
    const [suite] = suites;
    const pairs: [Record<string, string>, Record<string, string>][] = [
      [{ a: 'bc' }, { ab: 'c' }],
      [{ '1:a': '' }, { '': '1:a' }],
      [{ a: '1', b: '2' }, { a: '1:1b1:2' }],
    ];
    for (const [one, other] of pairs) {
      expect(memo.encryption(partition, suite!, one)).toBe(encryptionCacheId(partition, suite!, one));
      expect(memo.encryption(partition, suite!, other)).toBe(encryptionCacheId(partition, suite!, other));
      expect(memo.encryption(partition, suite!, one)).not.toBe(memo.encryption(partition, suite!, other));
    }
    const edk = (providerId: string, info: number[], ciphertext: number[]) => ({ providerId, providerInfo: Uint8Array.from(info), ciphertext: Uint8Array.from(ciphertext) });
    const one = [edk('a', [0x31, 0x3a], [1])];
    const other = [edk('a1:', [], [1])];
    expect(memo.decryption(partition, suite!, one, {})).not.toBe(memo.decryption(partition, suite!, other, {}));
    expect(memo.decryption(partition, suite!, other, {})).toBe(decryptionCacheId(partition, suite!, other, {}));
  });
});

/** The header body of a message with this context and these keys (the other fields fixed). */
function headerBody(encryptionContext: Record<string, string>, encryptedDataKeys: EncryptedDataKey[]) {
  return serializeHeaderBody({ suite: suites[0]!, messageId: new Uint8Array(32), encryptionContext, encryptedDataKeys, frameLength: 4096, commitKey: new Uint8Array(32) });
}

/** The parsed header of `body` followed by a header tag (never checked by the parse). */
function parsedHeaderOf(body: Uint8Array) {
  return parseHeader(concatBytes([body, new Uint8Array(16)]))!.header;
}

describe('CacheIdMemo with a parsed header', () => {
  const [suite] = suites;

  /** A header with `context` serialized canonically, or with its entries in reverse (as an older writer might). */
  function parsedHeader(context: Record<string, string>, encryptedDataKeys: EncryptedDataKey[], reversed: boolean) {
    const body = headerBody({}, encryptedDataKeys);
    const entries = Object.keys(context)
      .sort()
      .map((key) => serializeEncryptionContext({ [key]: context[key]! }).subarray(2));
    if (reversed) entries.reverse();
    const contextBytes = entries.length === 0 ? new Uint8Array(0) : concatBytes([Uint8Array.of(0, entries.length), ...entries]);
    // The empty context's length field sits after the version, the suite id and the message id.
    const at = 1 + 2 + 32;
    return parsedHeaderOf(concatBytes([body.subarray(0, at), Uint8Array.of(contextBytes.byteLength >> 8, contextBytes.byteLength & 0xff), contextBytes, body.subarray(at + 2)]));
  }

  it("answers a header's own keys and context as computing would, and a request that changed the context with its own", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ context, edks: fc.array(edk, { minLength: 1, maxLength: 3 }), reversed: fc.boolean() }), { minLength: 1, maxLength: 8 }), (messages) => {
        const memo = new CacheIdMemo(8);
        for (const { context, edks, reversed } of [...messages, ...messages]) {
          const { encryptedDataKeys, encryptionContext } = parsedHeader(context, edks, reversed);
          expect(encryptionContext).toEqual(context);
          expect(memo.decryption(partition, suite!, encryptedDataKeys, encryptionContext)).toBe(decryptionCacheId(partition, suite!, edks, context));
          // The header's keys with a context of the request's own (a wrapping manager's): not the header's identifier.
          const changed = { ...context, 'not in the alphabet': '' };
          expect(memo.decryption(partition, suite!, encryptedDataKeys, changed)).toBe(decryptionCacheId(partition, suite!, edks, changed));
          expect(memo.decryption(partition, suite!, edks, context)).toBe(decryptionCacheId(partition, suite!, edks, context));
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("CacheIdMemo and a header's bytes written to after the parse", () => {
  it("answers by what was parsed, not by the header's buffer as it is now", () => {
    const [suite] = suites;
    const encryptedDataKeys = [{ providerId: 'p', providerInfo: Uint8Array.of(1), ciphertext: Uint8Array.of(2) }];
    const headerOf = (context: Record<string, string>) => parsedHeaderOf(headerBody(context, encryptedDataKeys));
    const memo = new CacheIdMemo();
    // The header's fields are views of one buffer; someone holding them rewrites its context's
    // value "a" as "b", which the frozen context object of course does not follow.
    const first = headerOf({ n: 'a' });
    const buffer = new Uint8Array(first.messageId.buffer);
    buffer[buffer.indexOf('a'.charCodeAt(0), 1 + 2 + 32)] = 'b'.charCodeAt(0);
    expect(memo.decryption(partition, suite!, first.encryptedDataKeys, first.encryptionContext)).toBe(decryptionCacheId(partition, suite!, encryptedDataKeys, { n: 'a' }));
    // A message that really has context {n: "b"} must not get the identifier of {n: "a"}.
    const second = headerOf({ n: 'b' });
    expect(memo.decryption(partition, suite!, second.encryptedDataKeys, second.encryptionContext)).toBe(decryptionCacheId(partition, suite!, encryptedDataKeys, { n: 'b' }));
  });
});

describe('CacheIdMemo when two headers share a hash', () => {
  it('answers each with its own identifier', () => {
    const [suite] = suites;
    const encryptedDataKeys = [{ providerId: 'p', providerInfo: Uint8Array.of(1, 2), ciphertext: Uint8Array.of(3, 4, 5) }];
    const seed = 0;
    const keysPart = headerBody({}, encryptedDataKeys).subarray(1 + 2 + 32 + 2, -(1 + 4 + 32));
    // What parsedKeyFields gives for a header with this context: its length, the context, the keys.
    const fieldsOf = (context: Record<string, string>) => {
      const bytes = serializeEncryptionContext(context);
      return concatBytes([Uint8Array.of(bytes.byteLength >> 8, bytes.byteLength & 0xff), bytes, keysPart]);
    };
    // Birthday search over 30-bit hashes: two contexts whose fields share one.
    const seen = new Map<number, Record<string, string>>();
    let pair: [Record<string, string>, Record<string, string>] | undefined;
    for (let i = 0; pair === undefined; i++) {
      const context = { n: String(i) };
      const hash = fnv1a(fieldsOf(context), seed);
      const earlier = seen.get(hash);
      if (earlier !== undefined) pair = [earlier, context];
      else seen.set(hash, context);
    }
    const memo = new CacheIdMemo(8, seed);
    const headerOf = (context: Record<string, string>) => {
      const header = parsedHeaderOf(headerBody(context, encryptedDataKeys));
      expect(parsedKeyFields(header.encryptedDataKeys, header.encryptionContext)).toEqual(fieldsOf(context));
      return header;
    };
    for (const context of [pair[0], pair[1], pair[0], pair[1]]) {
      const header = headerOf(context);
      expect(memo.decryption(partition, suite!, header.encryptedDataKeys, header.encryptionContext)).toBe(decryptionCacheId(partition, suite!, encryptedDataKeys, context));
    }
  });
});
