/**
 * Fixed messages written by the official AWS Encryption SDK decrypt here to the expected bytes,
 * and any change to them is refused. Unlike interop.node.test.ts this needs no official SDK at
 * run time, so it also runs in workerd and Chromium.
 */
import { describe, expect, it } from 'vitest';
import { decrypt, PUBLIC_KEY_CONTEXT_KEY } from '../../sdk/index';
import { expectRejection, expectSameBytes, flipBit, fromHex, rawKeyring } from './helpers';
import { OFFICIAL_MESSAGES } from './vectors/official-messages';

const plaintextOf = (length: number) => Uint8Array.from({ length }, (_, i) => (i * 31 + 7) & 0xff);

describe.each(OFFICIAL_MESSAGES)('official SDK message: $name', (vector) => {
  const message = fromHex(vector.messageHex);

  it('decrypts to the expected plaintext, context and header', async () => {
    const { plaintext, encryptionContext, header } = await decrypt(rawKeyring('fixture-key'), message, {
      expectedContext: vector.encryptionContext,
    });
    expectSameBytes(plaintext, plaintextOf(vector.plaintextLength));
    const { [PUBLIC_KEY_CONTEXT_KEY]: publicKey, ...rest } = encryptionContext;
    expect(rest).toEqual(vector.encryptionContext);
    expect(publicKey !== undefined).toBe(vector.suiteId === 0x0578);
    expect(header.suiteId).toBe(vector.suiteId);
    expect(header.frameLength).toBe(64);
    expect(header.encryptedDataKeys).toHaveLength(1);
    expect(header.encryptedDataKeys[0]!.providerId).toBe('edgekms-tests');
  });

  it('is refused with any byte changed (sampled) or cut short', async () => {
    for (let index = 0; index < message.byteLength; index += 7) {
      await expectRejection(decrypt(rawKeyring('fixture-key'), flipBit(message, index)));
    }
    await expectRejection(decrypt(rawKeyring('fixture-key'), message.subarray(0, message.byteLength - 1)), 'MalformedMessageError');
  });
});
