/**
 * Any change to a message must be refused, never decrypted to something else. Every single-bit
 * flip anywhere in a small multi-frame message is tried, then each region is checked for the
 * specific error that names what failed.
 */
import { describe, expect, it } from 'vitest';
import { decrypt, encrypt, MultiKeyring, type EncryptResult, type SuiteId } from '../../sdk/index';
import { SUITES, expectRejection, flipBit, randomBytes, rawKeyring } from './helpers';

const FRAME = 32;
const CONTEXT = { tenant: 'acme', purpose: 'tamper tests' };

/** Offsets of the fields of a message written with `rawKeyring()` and one EDK. */
function layout({ ciphertext, header }: EncryptResult) {
  const contextLength = (ciphertext[35]! << 8) | ciphertext[36]!;
  const edkStart = 37 + contextLength; // EDK count
  const edk = header.encryptedDataKeys[0]!;
  const providerIdLength = new TextEncoder().encode(edk.providerId).byteLength;
  const edkCiphertext = edkStart + 2 + 2 + providerIdLength + 2 + edk.providerInfo.byteLength + 2;
  const headerBodyEnd = header.headerLength - 16;
  const firstFrame = header.headerLength;
  return {
    edkCount: edkStart,
    edkProviderInfo: edkStart + 2 + 2 + providerIdLength + 2,
    edkCiphertext,
    contentType: headerBodyEnd - 32 - 4 - 1,
    frameLengthField: headerBodyEnd - 32 - 4,
    commitKey: headerBodyEnd - 32,
    headerTag: headerBodyEnd,
    firstFrame,
    firstFrameIv: firstFrame + 4,
    firstFrameCiphertext: firstFrame + 16,
    firstFrameTag: firstFrame + 16 + FRAME,
  };
}

async function message(suite: SuiteId, size = 2 * FRAME + 7): Promise<EncryptResult> {
  return encrypt(rawKeyring(), randomBytes(size), { suite, frameLength: FRAME, encryptionContext: CONTEXT });
}

describe.each(SUITES)('tampering, suite $label', ({ id }) => {
  it('refuses every single-bit change anywhere in the message', async () => {
    const { ciphertext } = await message(id);
    for (let index = 0; index < ciphertext.byteLength; index++) {
      for (const mask of [0x01, 0x80]) {
        await expectRejection(decrypt(rawKeyring(), flipBit(ciphertext, index, mask)));
      }
    }
  });

  it('names what failed in each region of the header', async () => {
    const sample = await message(id);
    const at = layout(sample);
    const tampered = (index: number, mask = 0x01) => decrypt(rawKeyring(), flipBit(sample.ciphertext, index, mask));
    await expectRejection(tampered(0), 'MalformedMessageError'); // version 0x02 -> 0x03
    await expectRejection(tampered(2), 'UnsupportedFormatError'); // suite id
    await expectRejection(tampered(10), 'CommitmentMismatchError'); // message id (HKDF salt)
    // The last byte of the context (the value of "tenant"): the context is the EDK's AAD.
    await expectRejection(tampered(at.edkCount - 1), 'NoDecryptableKeyError');
    await expectRejection(tampered(at.edkProviderInfo + 3), 'NoDecryptableKeyError'); // key name
    await expectRejection(tampered(at.edkCiphertext + 5), 'NoDecryptableKeyError'); // wrapped key
    await expectRejection(tampered(at.contentType), 'MalformedMessageError'); // framed 0x02 -> unknown 0x03
    await expectRejection(tampered(at.contentType, 0x03), 'UnsupportedFormatError'); // -> non-framed 0x01
    // A new frame length no longer fits the frames...
    await expectRejection(tampered(at.frameLengthField + 3), 'MalformedMessageError');
    // ...unless there is only a final frame, shorter than both: then the header tag catches it.
    const short = await message(id, 7);
    const longerFrames = flipBit(short.ciphertext, layout(short).frameLengthField + 2); // 32 -> 288
    await expectRejection(decrypt(rawKeyring(), longerFrames), 'AuthenticationError');
    await expectRejection(tampered(at.commitKey + 31), 'CommitmentMismatchError');
    await expectRejection(tampered(at.headerTag + 15), 'AuthenticationError');
  });

  it('names what failed in each region of the body and footer', async () => {
    const sample = await message(id);
    const at = layout(sample);
    const { ciphertext } = sample;
    const tampered = (index: number, mask = 0x01) => decrypt(rawKeyring(), flipBit(ciphertext, index, mask));
    await expectRejection(tampered(at.firstFrame + 3), 'MalformedMessageError'); // sequence number
    await expectRejection(tampered(at.firstFrameIv + 11), 'MalformedMessageError'); // IV
    await expectRejection(tampered(at.firstFrameCiphertext), 'AuthenticationError');
    await expectRejection(tampered(at.firstFrameTag + 15), 'AuthenticationError');

    const finalFrame = at.firstFrame + 2 * (4 + 12 + FRAME + 16);
    await expectRejection(tampered(finalFrame, 0x80), 'MalformedMessageError'); // end marker
    await expectRejection(tampered(finalFrame + 7), 'MalformedMessageError'); // its sequence number
    await expectRejection(tampered(finalFrame + 4 + 4 + 12 + 3), 'MalformedMessageError'); // content length
    await expectRejection(tampered(finalFrame + 4 + 4 + 12 + 4 + 2), 'AuthenticationError'); // ciphertext
    const footer = finalFrame + 4 + 4 + 12 + 4 + 7 + 16;
    if (id === 0x0578) {
      expect(ciphertext.byteLength).toBeGreaterThan(footer + 2);
      await expectRejection(tampered(footer + 1), 'MalformedMessageError'); // signature length
      await expectRejection(tampered(ciphertext.byteLength - 1), 'AuthenticationError'); // signature
    } else {
      expect(ciphertext.byteLength).toBe(footer);
    }
  });

  it('refuses frames that are reordered, dropped or duplicated', async () => {
    const { ciphertext, header } = await message(id, 3 * FRAME + 1);
    const size = 4 + 12 + FRAME + 16;
    const start = header.headerLength;
    const frame = (n: number) => ciphertext.subarray(start + n * size, start + (n + 1) * size);
    const rest = ciphertext.subarray(start + 3 * size);
    const rebuild = (...frames: Uint8Array[]) => {
      const parts = [ciphertext.subarray(0, start), ...frames, rest];
      const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
      let offset = 0;
      for (const part of parts) {
        out.set(part, offset);
        offset += part.byteLength;
      }
      return out;
    };
    await expectRejection(decrypt(rawKeyring(), rebuild(frame(1), frame(0), frame(2))), 'MalformedMessageError');
    await expectRejection(decrypt(rawKeyring(), rebuild(frame(0), frame(2))), 'MalformedMessageError');
    await expectRejection(decrypt(rawKeyring(), rebuild(frame(0), frame(0), frame(1), frame(2))), 'MalformedMessageError');
  });

  it('refuses a data key swapped in from another message (key commitment)', async () => {
    // Same keyring and context: the foreign EDK unwraps fine, but to a different data key.
    const first = await message(id);
    const second = await message(id);
    const at = layout(first);
    const edkLength = first.header.encryptedDataKeys[0]!.ciphertext.byteLength;
    const forged = Uint8Array.from(first.ciphertext);
    const providerInfoStart = at.edkProviderInfo;
    const infoAndKeyLength = at.edkCiphertext + edkLength - providerInfoStart;
    // The provider info carries the IV, so it moves together with the wrapped key.
    forged.set(second.ciphertext.subarray(providerInfoStart, providerInfoStart + infoAndKeyLength), providerInfoStart);
    // The contexts differ only for signed suites (their public keys), which changes the AAD;
    // for the unsigned suite the swap reaches the commitment check.
    await expectRejection(decrypt(rawKeyring(), forged), id === 0x0478 ? 'CommitmentMismatchError' : 'NoDecryptableKeyError');
  });

  it('refuses a message decrypted with a keyring that does not hold its key', async () => {
    const { ciphertext } = await message(id);
    await expectRejection(decrypt(rawKeyring('other-key'), ciphertext), 'NoDecryptableKeyError');
    await expectRejection(decrypt(rawKeyring('test-key', randomBytes(32)), ciphertext), 'NoDecryptableKeyError');
    await expectRejection(decrypt(new MultiKeyring({ children: [rawKeyring('a'), rawKeyring('b')] }), ciphertext), 'NoDecryptableKeyError');
  });
});
