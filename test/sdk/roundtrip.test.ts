import { describe, expect, it } from 'vitest';
import { DEFAULT_FRAME_LENGTH, decrypt, encrypt, PUBLIC_KEY_CONTEXT_KEY } from '../../sdk/index';
import { SUITES, expectSameBytes, randomBytes, rawKeyring } from './helpers';

const FRAME = 64;
const SIZES = [0, 1, FRAME - 1, FRAME, FRAME + 1, 2 * FRAME, 3 * FRAME + 17, 10_000];

describe.each(SUITES)('round trip, suite $label', ({ id }) => {
  const keyring = rawKeyring();

  it.each(SIZES)('%i bytes with %i-byte frames', async (size) => {
    const data = randomBytes(size);
    const encryptionContext = { purpose: 'round trip', size: String(size) };
    const { ciphertext, header } = await encrypt(keyring, data, { suite: id, frameLength: FRAME, encryptionContext });
    expect(header.suiteId).toBe(id);
    expect(header.frameLength).toBe(FRAME);

    const result = await decrypt(keyring, ciphertext, { expectedContext: encryptionContext });
    expectSameBytes(result.plaintext, data);
    expect(result.header).toEqual(header);
    expect(result.encryptionContext).toMatchObject(encryptionContext);
    expect(PUBLIC_KEY_CONTEXT_KEY in result.encryptionContext).toBe(id === 0x0578);
  });

  it('uses the default frame length (64 KiB) and the default context (empty)', async () => {
    const data = randomBytes(3 * DEFAULT_FRAME_LENGTH + 5);
    const { ciphertext, header } = await encrypt(keyring, data, { suite: id });
    expect(DEFAULT_FRAME_LENGTH).toBe(64 * 1024);
    expect(header.frameLength).toBe(DEFAULT_FRAME_LENGTH);
    const { plaintext, encryptionContext } = await decrypt(keyring, ciphertext);
    expectSameBytes(plaintext, data);
    expect(Object.keys(encryptionContext)).toEqual(id === 0x0578 ? [PUBLIC_KEY_CONTEXT_KEY] : []);
  });

  it('accepts a large frame for a multi-megabyte message', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 3);
    const { ciphertext } = await encrypt(keyring, data, { suite: id, frameLength: 1024 * 1024 });
    expectSameBytes((await decrypt(keyring, ciphertext)).plaintext, data);
  });
});

describe('input kinds', () => {
  const keyring = rawKeyring();

  it('encrypts a string as UTF-8 and decrypts a base64 string message', async () => {
    const text = 'héllo, wörld — 🔐';
    const { ciphertext } = await encrypt(keyring, text);
    const { plaintext } = await decrypt(keyring, ciphertext);
    expect(new TextDecoder().decode(plaintext)).toBe(text);

    let binary = '';
    for (const byte of ciphertext) binary += String.fromCharCode(byte);
    const standard = btoa(binary);
    const urlSafe = standard.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    expectSameBytes((await decrypt(keyring, standard)).plaintext, plaintext);
    expectSameBytes((await decrypt(keyring, urlSafe)).plaintext, plaintext);
  });

  it('accepts ArrayBuffer, Blob, other typed arrays and offset views', async () => {
    const data = randomBytes(1000);
    const padded = new Uint8Array(1010);
    padded.set(data, 5);
    const inputs = [
      data.buffer.slice(0),
      new Blob([data]),
      new DataView(data.buffer),
      new Uint16Array(data.buffer),
      padded.subarray(5, 1005),
    ];
    for (const input of inputs) {
      const { ciphertext } = await encrypt(keyring, input, { frameLength: 128 });
      const message = new Uint8Array(ciphertext.byteLength + 7);
      message.set(ciphertext, 7);
      expectSameBytes((await decrypt(keyring, new Blob([ciphertext]))).plaintext, data);
      expectSameBytes((await decrypt(keyring, ciphertext.buffer.slice(0))).plaintext, data);
      expectSameBytes((await decrypt(keyring, message.subarray(7))).plaintext, data);
    }
  });

  it('writes a fresh message id, data key and ciphertext every time', async () => {
    const data = randomBytes(100);
    const first = await encrypt(keyring, data);
    const second = await encrypt(keyring, data);
    expect(first.header.messageId).not.toEqual(second.header.messageId);
    expect(first.ciphertext).not.toEqual(second.ciphertext);
  });
});
