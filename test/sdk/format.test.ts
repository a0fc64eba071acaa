/**
 * The wire format byte by byte: context serialization, header and frame layout, the spec's limits,
 * and refusal of headers that are malformed or of a kind this SDK does not read.
 */
import { describe, expect, it } from 'vitest';
import { decrypt, encrypt, MultiKeyring, type EncryptedDataKey } from '../../sdk/index';
import { parseEncryptionContext, parseHeader, serializeEncryptionContext, serializeHeaderBody } from '../../sdk/format';
import { findSuite } from '../../sdk/suites';
import { KEY_NAMESPACE, expectRejection, expectSameBytes, fromHex, hex, randomBytes, rawKeyring } from './helpers';

describe('encryption context serialization', () => {
  it('is empty for an empty context', () => {
    expect(serializeEncryptionContext({})).toHaveLength(0);
  });

  it('is count, then entries sorted by key, each key and value length-prefixed', () => {
    expect(hex(serializeEncryptionContext({ b: '2', a: '1' }))).toBe('0002' + '000161000131' + '000162000132');
  });

  it('sorts keys by their UTF-8 bytes, not by JavaScript string order', () => {
    // U+FF21 (EF BC A1) sorts before U+1F511 (F0 9F 94 91) in UTF-8, after it in UTF-16.
    const bytes = serializeEncryptionContext({ '\u{1F511}': 'x', '\uFF21': 'y', B: 'z', a: 'w' });
    expect(hex(bytes)).toBe(
      '0004' + '000142' + '00017a' + '000161' + '000177' + '0003efbca1' + '000179' + '0004f09f9491' + '000178',
    );
  });

  // A parsed context remembers its bytes for the unwrap's AAD (format.ts, canonicalContexts).
  it('serializes a parsed context canonically, whatever order the message stored it in', () => {
    const canonical = '0002' + '000161000131' + '000162000132';
    expect(hex(serializeEncryptionContext(parseEncryptionContext(fromHex('0002' + '000162000132' + '000161000131'))))).toBe(canonical);
    const bytes = fromHex(canonical);
    const parsed = parseEncryptionContext(bytes);
    bytes.fill(0); // the caller reuses its buffer
    expect(hex(serializeEncryptionContext(parsed))).toBe(canonical);
    expect(parsed).toEqual({ a: '1', b: '2' });
  });
});

describe('message layout', () => {
  it('matches the version 2 header and frame layout byte for byte', async () => {
    const frameLength = 16;
    const data = randomBytes(2 * frameLength + 3);
    const { ciphertext, header } = await encrypt(rawKeyring('layout-key'), data, {
      frameLength,
      encryptionContext: { a: 'b' },
    });
    const edk = header.encryptedDataKeys[0]!;
    const namespace = new TextEncoder().encode(KEY_NAMESPACE);
    const expectedHeaderBody =
      '02' + '0478' + hex(header.messageId) +
      '0008' + '0001' + '000161' + '000162' +
      '0001' +
      hex(new Uint8Array([0, namespace.byteLength])) + hex(namespace) +
      '001e' + hex(new TextEncoder().encode('layout-key')) + '00000080' + '0000000c' + hex(edk.providerInfo.subarray(18)) +
      '0030' + hex(edk.ciphertext) +
      '02' + '00000010' + hex(header.suiteData);
    expect(hex(ciphertext.subarray(0, header.headerLength - 16))).toBe(expectedHeaderBody);
    expect(header.messageId).toHaveLength(32);
    expect(header.suiteData).toHaveLength(32);
    expect(edk.ciphertext).toHaveLength(48);

    let offset = header.headerLength;
    for (const sequence of [1, 2]) {
      expect(hex(ciphertext.subarray(offset, offset + 16))).toBe(
        hex(new Uint8Array([0, 0, 0, sequence])) + '0000000000000000' + hex(new Uint8Array([0, 0, 0, sequence])),
      );
      offset += 4 + 12 + frameLength + 16;
    }
    expect(hex(ciphertext.subarray(offset, offset + 24))).toBe('ffffffff' + '00000003' + '000000000000000000000003' + '00000003');
    expect(ciphertext.byteLength).toBe(offset + 24 + 3 + 16);
  });

  it('writes one empty final frame for empty plaintext', async () => {
    const { ciphertext, header } = await encrypt(rawKeyring(), new Uint8Array(0));
    expect(hex(ciphertext.subarray(header.headerLength))).toMatch(/^ffffffff0000000100000000000000000000000100000000[0-9a-f]{32}$/);
    expect(ciphertext.byteLength).toBe(header.headerLength + 24 + 16);
  });

  it('ends an exact multiple of the frame length with a full final frame', async () => {
    const { ciphertext, header } = await encrypt(rawKeyring(), randomBytes(40), { frameLength: 20 });
    const finalFrame = header.headerLength + 4 + 12 + 20 + 16;
    expect(hex(ciphertext.subarray(finalFrame, finalFrame + 24))).toBe('ffffffff' + '00000002' + '000000000000000000000002' + '00000014');
    expect(ciphertext.byteLength).toBe(finalFrame + 24 + 20 + 16);
  });
});

describe('a parsed header', () => {
  it('keeps nothing of the caller\'s buffer: its fields, body and tag are views of its own copy', async () => {
    const keyring = new MultiKeyring({ generator: rawKeyring('k0'), children: [rawKeyring('k1')] });
    const { ciphertext } = await encrypt(keyring, randomBytes(10), { encryptionContext: { a: 'b' } });
    const parsed = parseHeader(ciphertext)!;
    const fields = [parsed.body, parsed.authTag, parsed.header.messageId, parsed.header.suiteData, ...parsed.header.encryptedDataKeys.flatMap((edk) => [edk.providerInfo, edk.ciphertext])];
    const before = fields.map(hex);
    const context = hex(serializeEncryptionContext({ a: 'b' }));
    ciphertext.fill(0); // the caller reuses its buffer while the message is being decrypted
    expect(fields.map(hex)).toEqual(before);
    for (const view of fields) expect(view.buffer).toBe(parsed.bytes.buffer);
    expect(parsed.bytes.byteLength).toBe(parsed.header.headerLength);
    // The context's serialization, remembered for a keyring's unwrap, is in neither buffer: not
    // even someone holding the header's views can change what the frozen context serializes to.
    parsed.bytes.fill(0);
    const remembered = serializeEncryptionContext(parsed.header.encryptionContext);
    expect(hex(remembered)).toBe(context);
    expect(remembered.buffer).not.toBe(ciphertext.buffer);
    expect(remembered.buffer).not.toBe(parsed.bytes.buffer);
  });
});

describe('limits', () => {
  it('refuses frame lengths outside 1 .. 2^32 - 1 and accepts both ends', async () => {
    for (const frameLength of [0, -1, 1.5, 2 ** 32, Number.NaN]) {
      await expectRejection(encrypt(rawKeyring(), 'data', { frameLength }), 'InvalidArgumentError');
    }
    for (const frameLength of [1, 2 ** 32 - 1]) {
      const data = randomBytes(5);
      const { ciphertext, header } = await encrypt(rawKeyring(), data, { frameLength });
      expect(header.frameLength).toBe(frameLength);
      expectSameBytes((await decrypt(rawKeyring(), ciphertext)).plaintext, data);
    }
  });

  it('enforces maxEncryptedDataKeys on decrypt and encrypt', async () => {
    const keyring = new MultiKeyring({ generator: rawKeyring('k1'), children: [rawKeyring('k2'), rawKeyring('k3')] });
    const { ciphertext, header } = await encrypt(keyring, 'data');
    expect(header.encryptedDataKeys).toHaveLength(3);
    await decrypt(keyring, ciphertext, { maxEncryptedDataKeys: 3 });
    await expectRejection(decrypt(keyring, ciphertext, { maxEncryptedDataKeys: 2 }), 'TooManyEncryptedDataKeysError');
    // Refused from the header prefix alone: the keys after the count are never read.
    const prefix = ciphertext.subarray(0, 37 + 0 + 2);
    await expectRejection(decrypt(keyring, prefix, { maxEncryptedDataKeys: 2 }), 'TooManyEncryptedDataKeysError');
    await expectRejection(encrypt(keyring, 'data', { maxEncryptedDataKeys: 2 }), 'TooManyEncryptedDataKeysError');
    for (const maxEncryptedDataKeys of [0, -1, 1.5]) {
      await expectRejection(decrypt(keyring, ciphertext, { maxEncryptedDataKeys }), 'InvalidArgumentError');
    }
  });

  it('refuses an unknown suite on encrypt', async () => {
    await expectRejection(encrypt(rawKeyring(), 'data', { suite: 0x0178 as never }), 'InvalidArgumentError');
  });
});

describe('headers this SDK refuses', () => {
  const suite = findSuite(0x0478)!;
  const edk: EncryptedDataKey = { providerId: 'p', providerInfo: new Uint8Array(3), ciphertext: new Uint8Array(4) };
  const body = (overrides: Partial<Parameters<typeof serializeHeaderBody>[0]> = {}) =>
    serializeHeaderBody({
      suite,
      messageId: new Uint8Array(32),
      encryptionContext: { a: 'b' },
      encryptedDataKeys: [edk],
      frameLength: 4096,
      commitKey: new Uint8Array(32),
      ...overrides,
    });
  const withTag = (headerBody: Uint8Array) => {
    const out = new Uint8Array(headerBody.byteLength + 16 + 100);
    out.set(headerBody);
    return out;
  };

  it('names a version 1 message, a base64 message and an unknown version', async () => {
    await expectRejection(decrypt(rawKeyring(), fromHex('01800378' + '00'.repeat(60))), 'UnsupportedFormatError');
    const base64 = new TextEncoder().encode('AgR4' + 'A'.repeat(100));
    const error = await expectRejection(decrypt(rawKeyring(), base64), 'MalformedMessageError');
    expect(error.message).toMatch(/base64/);
    await expectRejection(decrypt(rawKeyring(), fromHex('07' + '00'.repeat(60))), 'MalformedMessageError');
    await expectRejection(decrypt(rawKeyring(), new Uint8Array(0)), 'MalformedMessageError');
  });

  it('refuses unknown suites, including format 1 suites in a version 2 header', async () => {
    for (const id of ['0178', '0378', '0014', '0000', 'ffff']) {
      const bytes = withTag(body());
      bytes.set(fromHex(id), 1);
      await expectRejection(decrypt(rawKeyring(), bytes), 'UnsupportedFormatError');
    }
  });

  it('refuses malformed contexts and key lists, naming the fault', async () => {
    // Offsets: version 0, suite 1, message id 3, context length 35, count 37, key length 39,
    // key "a" 41, value length 42, value "b" 44, EDK count 45.
    const cases: [RegExp, (bytes: Uint8Array) => void][] = [
      [/length but no entries/, (b) => b.set([0, 0], 37)],
      [/not valid UTF-8/, (b) => (b[41] = 0xff)],
      [/context is truncated/, (b) => (b[36] = 7)],
      [/trailing bytes/, (b) => (b[36] = 9)],
      [/no encrypted data keys/, (b) => b.set([0, 0], 45)],
      [/frame length of 0/, (b) => b.set([0, 0, 0, 0], b.byteLength - 16 - 100 - 36)],
    ];
    for (const [reason, mutate] of cases) {
      const bytes = withTag(body());
      mutate(bytes);
      const error = await expectRejection(decrypt(rawKeyring(), bytes), 'MalformedMessageError');
      expect(error.message).toMatch(reason);
    }
    // The same key twice: built by hand, since an object cannot hold it.
    const duplicate = withTag(body({ encryptionContext: { a: 'b', c: 'd' } }));
    duplicate[47] = 0x61; // second key "c" -> "a"
    const error = await expectRejection(decrypt(rawKeyring(), duplicate), 'MalformedMessageError');
    expect(error.message).toMatch(/duplicate key/);
  });

  it('refuses a signed-suite header without a public key, and an unsigned one with it', async () => {
    const signed = withTag(body({ suite: findSuite(0x0578)! }));
    await expectRejection(decrypt(rawKeyring(), signed), 'MalformedMessageError');
    const unsigned = withTag(body({ encryptionContext: { 'aws-crypto-public-key': 'A'.repeat(68) } }));
    await expectRejection(decrypt(rawKeyring(), unsigned), 'MalformedMessageError');
    const badPoint = withTag(body({ suite: findSuite(0x0578)!, encryptionContext: { 'aws-crypto-public-key': 'A'.repeat(68) } }));
    await expectRejection(decrypt(rawKeyring(), badPoint), 'MalformedMessageError');
  });

  it('refuses a string that is not base64', async () => {
    await expectRejection(decrypt(rawKeyring(), 'not base64!'), 'MalformedMessageError');
  });
});
