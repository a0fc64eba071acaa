/**
 * The WebCrypto build's aes-gcm.ts copies small arguments into views it has passed WebCrypto
 * before (issue 15). What WebCrypto is given must be the caller's bytes, and a view that held a
 * plaintext or a key must be zeroed as soon as WebCrypto has taken its copy of it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { aesGcmOpen, aesGcmSeal, hkdfSha512AesGcmKey, importAesGcmKey } from '../../sdk/crypto/aes-gcm';
import { expectSameBytes, randomBytes } from './helpers';

const key = await importAesGcmKey(randomBytes(32));
// The Node build's module (the sdk-node project) holds node:crypto keys and never calls WebCrypto.
const webCryptoBuild = key instanceof CryptoKey;

/** Records the argument at `index` of every call to crypto.subtle[method], as passed. */
function recordArgument(method: 'encrypt' | 'importKey', index: number): Uint8Array[] {
  const seen: Uint8Array[] = [];
  const original = crypto.subtle[method].bind(crypto.subtle) as (...args: unknown[]) => Promise<unknown>;
  vi.spyOn(crypto.subtle, method).mockImplementation(((...args: unknown[]) => {
    seen.push(args[index] as Uint8Array);
    return original(...args);
  }) as never);
  return seen;
}

describe.skipIf(!webCryptoBuild)('scratch arguments of the WebCrypto build', () => {
  afterEach(() => vi.restoreAllMocks());

  it("seals the caller's plaintext and zeroes the copy it passed once the call has returned", async () => {
    const seen = recordArgument('encrypt', 2);
    const plaintext = randomBytes(1000);
    const iv = randomBytes(12);
    const aad = randomBytes(7);
    const sealed = await aesGcmSeal(key, iv, aad, plaintext);
    expect(seen).toHaveLength(1);
    expect(seen[0]).not.toBe(plaintext);
    expect(seen[0]!.every((byte) => byte === 0)).toBe(true);
    expectSameBytes(await aesGcmOpen(key, iv, aad, sealed, 'test'), plaintext);
  });

  it('passes a long plaintext as it is, without a copy', async () => {
    const seen = recordArgument('encrypt', 2);
    const plaintext = randomBytes(64 * 1024);
    await aesGcmSeal(key, randomBytes(12), randomBytes(7), plaintext);
    expect(seen[0]).toBe(plaintext);
  });

  it("imports the caller's data key bytes for HKDF and zeroes the copy it passed", async () => {
    const seen = recordArgument('importKey', 1);
    const dataKey = randomBytes(32);
    const request = { salt: randomBytes(32), keyInfo: randomBytes(11), keyLength: 32, bitsInfo: randomBytes(9), bitsLength: 32 };
    const { bits } = await hkdfSha512AesGcmKey({ ...request, input: dataKey });
    expect(seen).toHaveLength(1);
    expect(seen[0]).not.toBe(dataKey);
    expect(seen[0]!.every((byte) => byte === 0)).toBe(true);
    // The same derivation from a key imported directly: the copy held the right bytes.
    const direct = await crypto.subtle.importKey('raw', dataKey, 'HKDF', false, ['deriveKey', 'deriveBits']);
    expectSameBytes(bits, new Uint8Array(await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-512', salt: request.salt, info: request.bitsInfo }, direct, 256)));
  });
});
