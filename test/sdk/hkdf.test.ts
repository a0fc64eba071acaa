/**
 * The message key derivation (HKDF-SHA512: an AES-GCM key and the commit bits) agrees with
 * WebCrypto's own HKDF for any input. In the sdk-node project this is the Node build's
 * hand-written extract-and-expand on node:crypto's HMAC (crypto/aes-gcm.node.ts), for a data key
 * given as bytes and as a non-extractable CryptoKey (a cache's); elsewhere, the WebCrypto build.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Bytes } from '../../sdk/bytes';
import { aesGcmSeal, hkdfSha512AesGcmKey } from '../../sdk/crypto/aes-gcm';
import { expectSameBytes } from './helpers';

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max }).map((array): Bytes => new Uint8Array(array));

/** HKDF-SHA512 by WebCrypto alone: `length` bytes of output for `info`. */
async function reference(ikm: Bytes, salt: Bytes, info: Bytes, length: number): Promise<Bytes> {
  const key = await crypto.subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-512', salt, info }, key, length * 8));
}

describe('hkdfSha512AesGcmKey', () => {
  it('derives the key and bits WebCrypto derives, from bytes and from an HKDF CryptoKey', async () => {
    await fc.assert(
      fc.asyncProperty(bytes(32, 32), fc.oneof(bytes(32, 32), bytes(0, 0), bytes(1, 100)), bytes(0, 40), bytes(0, 40), fc.boolean(), async (ikm, salt, keyInfo, bitsInfo, asCryptoKey) => {
        const input = asCryptoKey ? await crypto.subtle.importKey('raw', ikm, 'HKDF', false, ['deriveKey', 'deriveBits']) : ikm.slice();
        const { key, bits } = await hkdfSha512AesGcmKey({ input, salt, keyInfo, keyLength: 32, bitsInfo, bitsLength: 32 });
        expectSameBytes(bits, await reference(ikm, salt, bitsInfo, 32));
        // The key is opaque: compare what it seals with what the reference key seals.
        const expectedKey = await crypto.subtle.importKey('raw', await reference(ikm, salt, keyInfo, 32), { name: 'AES-GCM' }, false, ['encrypt']);
        const iv = new Uint8Array(12).fill(9);
        const plaintext = new Uint8Array(48).fill(7);
        const expected = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, tagLength: 128 }, expectedKey, plaintext));
        expectSameBytes(await aesGcmSeal(key, iv, new Uint8Array(0), plaintext), expected);
      }),
      { numRuns: 60 },
    );
  });

  it('leaves a data key given as bytes as it was', async () => {
    const ikm = Uint8Array.from({ length: 32 }, (_, i) => i);
    const before = ikm.slice();
    await hkdfSha512AesGcmKey({ input: ikm, salt: new Uint8Array(32), keyInfo: new Uint8Array(2), keyLength: 32, bitsInfo: new Uint8Array(1), bitsLength: 32 });
    expect(Array.from(ikm)).toEqual(Array.from(before));
  });
});
