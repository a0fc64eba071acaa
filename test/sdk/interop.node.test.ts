/**
 * Interoperability with the official AWS Encryption SDK for JavaScript (Node): messages this SDK
 * writes decrypt there, and messages written there decrypt here, for both committing suites,
 * with raw AES keyrings sharing one wrapping key. Node-only, because the official SDK is.
 */
import {
  AlgorithmSuiteIdentifier,
  CommitmentPolicy,
  buildClient,
} from '@aws-crypto/client-node';
import { officialRawAesKeyring } from './official-node';
import { describe, expect, it } from 'vitest';
import { decrypt, decryptStream, encrypt, encryptStream, type SuiteId } from '../../sdk/index';
import { expectSameBytes, flipBit, randomBytes, rawKeyring } from './helpers';
import { readAll, through } from './stream-helpers';

const official = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
const KEY_NAME = 'interop-key';

/**
 * The official raw AES keyring. With `utf8Sorting: true` it builds its AAD from the context in
 * the spec's order (UTF-8 bytes of the keys); at its default (false) it sorts with localeCompare,
 * which only other JavaScript-SDK keyrings share (see the last tests below).
 */
const officialKeyring = (utf8Sorting = true) => officialRawAesKeyring(KEY_NAME, utf8Sorting);

const SUITES: readonly { label: string; ours: SuiteId; theirs: AlgorithmSuiteIdentifier }[] = [
  { label: '0x0478', ours: 0x0478, theirs: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY },
  {
    label: '0x0578',
    ours: 0x0578,
    theirs: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
  },
];
const FRAME = 256;
const SIZES = [0, 1, FRAME - 1, FRAME, FRAME + 1, 5 * FRAME + 3, 100_000];
// Keys whose UTF-8 byte order differs from their localeCompare order (case, Cyrillic, emoji).
const CONTEXT = { tenant: 'acme', Purpose: 'interop', 'ключ': 'значение', '🔑': 'emoji', a_b: 'x', 'a-b': 'y' };
// Lower-case ASCII letters only: both orders agree.
const PLAIN_CONTEXT = { tenant: 'acme', purpose: 'interop' };

describe.each(SUITES)('official AWS Encryption SDK, suite $label', ({ ours, theirs }) => {
  it.each(SIZES)('decrypts our %i-byte message', async (size) => {
    const data = randomBytes(size);
    const { ciphertext } = await encrypt(rawKeyring(KEY_NAME), data, { suite: ours, frameLength: FRAME, encryptionContext: CONTEXT });
    const { plaintext, messageHeader } = await official.decrypt(officialKeyring(), ciphertext);
    expectSameBytes(plaintext, data);
    expect(messageHeader.suiteId).toBe(theirs);
    expect(messageHeader.encryptionContext).toMatchObject(CONTEXT);
  });

  it.each(SIZES)('writes a %i-byte message we decrypt', async (size) => {
    const data = randomBytes(size);
    const { result } = await official.encrypt(officialKeyring(), data, { suiteId: theirs, frameLength: FRAME, encryptionContext: CONTEXT });
    const { plaintext, header } = await decrypt(rawKeyring(KEY_NAME), result, { expectedContext: CONTEXT });
    expectSameBytes(plaintext, data);
    expect(header.suiteId).toBe(ours);
    expect(header.frameLength).toBe(FRAME);
  });

  it('round-trips at both libraries\' default frame length', async () => {
    const data = randomBytes(3 * 4096 + 1);
    const ourMessage = await encrypt(rawKeyring(KEY_NAME), data, { suite: ours, encryptionContext: CONTEXT });
    expectSameBytes((await official.decrypt(officialKeyring(), ourMessage.ciphertext)).plaintext, data);
    const theirMessage = await official.encrypt(officialKeyring(), data, { suiteId: theirs, encryptionContext: CONTEXT });
    expectSameBytes((await decrypt(rawKeyring(KEY_NAME), theirMessage.result)).plaintext, data);
  });

  it('rejects our message with any single flipped byte (sampled across the message)', async () => {
    const { ciphertext } = await encrypt(rawKeyring(KEY_NAME), randomBytes(3 * FRAME + 10), {
      suite: ours,
      frameLength: FRAME,
      encryptionContext: CONTEXT,
    });
    const step = Math.max(1, Math.floor(ciphertext.byteLength / 60));
    for (let index = 0; index < ciphertext.byteLength; index += step) {
      await expect(official.decrypt(officialKeyring(), flipBit(ciphertext, index)), `byte ${index}`).rejects.toThrow();
    }
    await expect(official.decrypt(officialKeyring(), flipBit(ciphertext, ciphertext.byteLength - 1))).rejects.toThrow();
  });
});

describe.each(SUITES)('official AWS Encryption SDK and our streams, suite $label', ({ ours, theirs }) => {
  const STREAM_SIZES = [0, 1, FRAME, 5 * FRAME + 3, 300_000];

  it.each(STREAM_SIZES)('decrypts a %i-byte message written by encryptStream', async (size) => {
    const data = randomBytes(size);
    const stream = encryptStream(rawKeyring(KEY_NAME), { suite: ours, frameLength: FRAME, encryptionContext: CONTEXT });
    const ciphertext = await readAll(through(data, stream, { random: 3 * FRAME }));
    const { plaintext, messageHeader } = await official.decrypt(officialKeyring(), ciphertext);
    expectSameBytes(plaintext, data);
    expect(messageHeader.suiteId).toBe(theirs);
  });

  it.each(STREAM_SIZES)('writes a %i-byte message that decryptStream reads', async (size) => {
    const data = randomBytes(size);
    const { result } = await official.encrypt(officialKeyring(), data, { suiteId: theirs, frameLength: FRAME, encryptionContext: CONTEXT });
    const stream = decryptStream(rawKeyring(KEY_NAME), { expectedContext: CONTEXT, holdUntilSignatureVerified: size === 300_000 });
    expectSameBytes(await readAll(through(result, stream, { random: 2 * FRAME })), data);
  });

  it('round-trips through its streaming API and ours at the default frame lengths', async () => {
    const data = randomBytes(600_000);
    const ours1 = await readAll(through(data, encryptStream(rawKeyring(KEY_NAME), { suite: ours, encryptionContext: CONTEXT }), 65536));
    const theirPlain: Uint8Array[] = [];
    const decrypting = official.decryptStream(officialKeyring());
    await new Promise<void>((resolve, reject) => {
      decrypting.on('data', (chunk: Uint8Array) => theirPlain.push(chunk)).on('end', resolve).on('error', reject);
      decrypting.end(ours1);
    });
    expectSameBytes(Buffer.concat(theirPlain), data);

    const encrypting = official.encryptStream(officialKeyring(), { suiteId: theirs, encryptionContext: CONTEXT });
    const theirMessage: Uint8Array[] = [];
    await new Promise<void>((resolve, reject) => {
      encrypting.on('data', (chunk: Uint8Array) => theirMessage.push(chunk)).on('end', resolve).on('error', reject);
      encrypting.end(data);
    });
    expectSameBytes(await readAll(through(Buffer.concat(theirMessage), decryptStream(rawKeyring(KEY_NAME)), 10_000)), data);
  });
});

describe('the official raw AES keyring at its default (utf8Sorting: false)', () => {
  it('decrypts our messages whose context sorts the same both ways', async () => {
    for (const { ours } of SUITES) {
      const data = randomBytes(1000);
      const { ciphertext } = await encrypt(rawKeyring(KEY_NAME), data, { suite: ours, encryptionContext: PLAIN_CONTEXT });
      expectSameBytes((await official.decrypt(officialKeyring(false), ciphertext)).plaintext, data);
    }
  });

  it('writes messages we decrypt, even when its AAD order differs from the spec\'s', async () => {
    for (const { theirs } of SUITES) {
      for (const encryptionContext of [PLAIN_CONTEXT, CONTEXT]) {
        const data = randomBytes(1000);
        const { result } = await official.encrypt(officialKeyring(false), data, { suiteId: theirs, encryptionContext });
        expectSameBytes((await decrypt(rawKeyring(KEY_NAME), result, { expectedContext: encryptionContext })).plaintext, data);
      }
    }
  });
});
