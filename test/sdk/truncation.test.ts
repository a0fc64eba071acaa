/**
 * A message cut short must fail, never decrypt to a shorter plaintext: every prefix of a
 * multi-frame message is refused as malformed, and so is a message with bytes appended.
 */
import { describe, expect, it } from 'vitest';
import { decrypt, encrypt, type Keyring } from '../../sdk/index';
import { SUITES, expectRejection, randomBytes, rawKeyring } from './helpers';

describe.each(SUITES)('truncation, suite $label', ({ id }) => {
  it('refuses every proper prefix of a message', async () => {
    const keyring = rawKeyring();
    const { ciphertext } = await encrypt(keyring, randomBytes(3 * 40 + 5), { suite: id, frameLength: 40, encryptionContext: { a: 'b' } });
    for (let length = 0; length < ciphertext.byteLength; length++) {
      await expectRejection(decrypt(keyring, ciphertext.slice(0, length)), 'MalformedMessageError');
    }
  });

  it('refuses every prefix that ends on a frame boundary of an exact-multiple message', async () => {
    const keyring = rawKeyring();
    const frameLength = 50;
    const { ciphertext, header } = await encrypt(keyring, randomBytes(4 * frameLength), { suite: id, frameLength });
    const regular = 4 + 12 + frameLength + 16;
    for (let frames = 0; frames <= 4; frames++) {
      await expectRejection(decrypt(keyring, ciphertext.slice(0, header.headerLength + frames * regular)), 'MalformedMessageError');
    }
  });

  it('refuses a message followed by extra bytes', async () => {
    const keyring = rawKeyring();
    const { ciphertext } = await encrypt(keyring, randomBytes(100), { suite: id, frameLength: 40 });
    for (const extra of [1, 2, 17]) {
      const longer = new Uint8Array(ciphertext.byteLength + extra);
      longer.set(ciphertext);
      await expectRejection(decrypt(keyring, longer), 'MalformedMessageError');
    }
  });

  it('refuses cut, padded or unexpected messages without asking the keyring', async () => {
    // With a KMS keyring every unwrap is a request and an audit record; these need none.
    const inner = rawKeyring();
    let unwraps = 0;
    const counting: Keyring = {
      onEncrypt: (materials) => inner.onEncrypt(materials),
      onDecrypt: (materials, edks) => {
        unwraps++;
        return inner.onDecrypt(materials, edks);
      },
    };
    const { ciphertext } = await encrypt(counting, randomBytes(100), { suite: id, frameLength: 40, encryptionContext: { a: 'b' } });
    await expectRejection(decrypt(counting, ciphertext.slice(0, ciphertext.byteLength - 1)), 'MalformedMessageError');
    await expectRejection(decrypt(counting, new Uint8Array([...ciphertext, 0])), 'MalformedMessageError');
    await expectRejection(decrypt(counting, ciphertext, { expectedContext: { a: 'c' } }), 'ContextMismatchError');
    expect(unwraps).toBe(0);
    await decrypt(counting, ciphertext);
    expect(unwraps).toBe(1);
  });
});
