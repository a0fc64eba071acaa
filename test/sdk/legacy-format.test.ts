/**
 * Message format 1, read only, in every runtime: the official SDK's own format 1 messages
 * (vectors/legacy-messages.ts) decrypt with the buffer and stream APIs once the caller allows it
 * (commitmentPolicy REQUIRE_ENCRYPT_ALLOW_DECRYPT), are refused before any keyring call by
 * default, and fail on a changed byte, a bad signature or reordered frames. Messages of every
 * format 1 suite made by the official SDK at run time: legacy-format-interop.node.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  decrypt,
  decryptStream,
  encrypt,
  withPlaintextDataKey,
  type DecryptionMaterials,
  type EncryptionMaterials,
  type Keyring,
} from '../../sdk/index';
import { expectRejection, expectSameBytes, flipBit, rawKeyring } from './helpers';
import { readAll, through } from './stream-helpers';
import { LEGACY_MESSAGES } from './vectors/legacy-messages';

const ALLOW = { commitmentPolicy: 'REQUIRE_ENCRYPT_ALLOW_DECRYPT' } as const;

/** The official fixtures' keyring: hands back an all-zero data key of the suite's length. */
class ZeroKeyring implements Keyring {
  calls = 0;
  async onEncrypt(): Promise<EncryptionMaterials> {
    throw new Error('decrypt only');
  }
  async onDecrypt(materials: DecryptionMaterials): Promise<DecryptionMaterials> {
    this.calls++;
    return withPlaintextDataKey(materials, new Uint8Array(materials.suite.keyLength));
  }
}

function bytesOf(base64: string): Uint8Array {
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

describe.each(LEGACY_MESSAGES)('official format 1 message: $name', (vector) => {
  const message = bytesOf(vector.messageBase64);

  if (vector.error === undefined) {
    it('decrypts with REQUIRE_ENCRYPT_ALLOW_DECRYPT, buffer and stream alike', async () => {
      const { plaintext, header, encryptionContext } = await decrypt(new ZeroKeyring(), message, ALLOW);
      expect(header.version).toBe(1);
      expect(header.suiteId).toBe(vector.suiteId);
      expect(header.messageId).toHaveLength(16);
      expect(encryptionContext).toMatchObject(vector.encryptionContext);
      if (vector.plaintextBase64 !== undefined) expectSameBytes(plaintext, bytesOf(vector.plaintextBase64));
      const streamed = await readAll(through(message, decryptStream(new ZeroKeyring(), ALLOW), 7));
      expectSameBytes(streamed, plaintext);
    });

    it('is refused with a byte of its body changed, or under another data key', async () => {
      const body = flipBit(message, message.byteLength - 40);
      await expectRejection(decrypt(new ZeroKeyring(), body, ALLOW));
      await expectRejection(decrypt(rawKeyring(), message, ALLOW), 'NoDecryptableKeyError');
    });
  } else {
    it(`is refused with ${vector.error}`, async () => {
      await expectRejection(decrypt(new ZeroKeyring(), message, ALLOW), vector.error);
      await expectRejection(readAll(through(message, decryptStream(new ZeroKeyring(), ALLOW), 7)), vector.error);
    });
  }

  it('is refused by default (REQUIRE_ENCRYPT_REQUIRE_DECRYPT), before any keyring call', async () => {
    const keyring = new ZeroKeyring();
    await expectRejection(decrypt(keyring, message), 'UnsupportedFormatError');
    await expectRejection(readAll(through(message, decryptStream(keyring), 64)), 'UnsupportedFormatError');
    expect(keyring.calls).toBe(0);
  });
});

describe('message format 1', () => {
  it('is never written, and an unknown commitment policy is an argument error', async () => {
    await expectRejection(encrypt(rawKeyring(), 'x', { suite: 0x0178 as never }), 'InvalidArgumentError');
    const { ciphertext } = await encrypt(rawKeyring(), 'x');
    await expectRejection(decrypt(rawKeyring(), ciphertext, { commitmentPolicy: 'FORBID_ENCRYPT_ALLOW_DECRYPT' as never }), 'InvalidArgumentError');
    // Format 2 messages read the same under either policy.
    expect(new TextDecoder().decode((await decrypt(rawKeyring(), ciphertext, ALLOW)).plaintext)).toBe('x');
  });

  it('refuses a version 1 header naming a version 2 suite, and the reverse', async () => {
    const legacy = bytesOf(LEGACY_MESSAGES[2]!.messageBase64);
    const claimsCommitting = Uint8Array.from(legacy);
    claimsCommitting.set([0x04, 0x78], 2);
    await expectRejection(decrypt(new ZeroKeyring(), claimsCommitting, ALLOW), 'UnsupportedFormatError');
    const { ciphertext } = await encrypt(rawKeyring(), 'x');
    const claimsLegacy = Uint8Array.from(ciphertext);
    claimsLegacy.set([0x01, 0x78], 1);
    await expectRejection(decrypt(rawKeyring(), claimsLegacy, ALLOW), 'UnsupportedFormatError');
  });
});
