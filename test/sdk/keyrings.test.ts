/**
 * Keyrings: the raw AES keyring's EDK layout and checks, the multi-keyring's generate/wrap/try
 * order, and the contract the materials manager enforces on any keyring, including one shaped
 * like the EdgeKMS (KMS-compatible) keyring.
 */
import { describe, expect, it } from 'vitest';
import {
  decrypt,
  encrypt,
  MultiKeyring,
  NoDecryptableKeyError,
  RawAesKeyring,
  withEncryptedDataKey,
  withPlaintextDataKey,
  type DecryptionMaterials,
  type EncryptedDataKey,
  type EncryptionMaterials,
  type Keyring,
} from '../../sdk/index';
import { findSuite } from '../../sdk/suites';
import { KEY_NAMESPACE, WRAPPING_KEY, expectRejection, expectSameBytes, hex, randomBytes, rawKeyring } from './helpers';

describe('RawAesKeyring', () => {
  it('unwraps a data key into a non-extractable HKDF key or into its bytes, never both, and bytes for a key that may not unwrap', async () => {
    const suite = findSuite(0x0478)!;
    const materials: DecryptionMaterials = Object.freeze({ suite, encryptionContext: Object.freeze({ a: 'b' }) });
    const wrappingCryptoKey = await crypto.subtle.importKey('raw', WRAPPING_KEY, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
    for (const keyring of [rawKeyring(), new RawAesKeyring({ keyNamespace: KEY_NAMESPACE, keyName: 'k', wrappingKey: wrappingCryptoKey })]) {
      const { header, ciphertext } = await encrypt(keyring, 'data', { encryptionContext: { a: 'b' } });
      const result = await keyring.onDecrypt(materials, header.encryptedDataKeys);
      if (result.hkdfDataKey !== undefined) {
        // WebCrypto builds, from key bytes: the data key's bytes never reached JavaScript.
        expect(result.plaintextDataKey).toBeUndefined();
        expect(result.hkdfDataKey.extractable).toBe(false);
        expect(result.hkdfDataKey.algorithm.name).toBe('HKDF');
      } else {
        expect(result.plaintextDataKey).toHaveLength(32);
      }
      expect(new TextDecoder().decode((await decrypt(keyring, ciphertext)).plaintext)).toBe('data');
    }
    // A caller's CryptoKey without the unwrapKey usage is only ever used to decrypt.
    const fromCryptoKey = new RawAesKeyring({ keyNamespace: KEY_NAMESPACE, keyName: 'k', wrappingKey: wrappingCryptoKey });
    const { header } = await encrypt(fromCryptoKey, 'data', { encryptionContext: { a: 'b' } });
    expect((await fromCryptoKey.onDecrypt(materials, header.encryptedDataKeys)).plaintextDataKey).toHaveLength(32);
  });

  it('writes the spec\'s provider info and ciphertext layout', async () => {
    const { header } = await encrypt(rawKeyring('my key ✓'), 'data');
    const [edk] = header.encryptedDataKeys;
    const name = new TextEncoder().encode('my key ✓');
    expect(edk!.providerId).toBe(KEY_NAMESPACE);
    expect(edk!.providerInfo).toHaveLength(name.byteLength + 4 + 4 + 12);
    expect(hex(edk!.providerInfo.subarray(0, name.byteLength + 8))).toBe(hex(name) + '00000080' + '0000000c');
    expect(edk!.ciphertext).toHaveLength(32 + 16);
  });

  async function roundTripWithKeyBits(bits: number): Promise<void> {
    const bytes = randomBytes(bits / 8);
    const cryptoKey = await crypto.subtle.importKey('raw', bytes, 'AES-GCM', false, ['encrypt', 'decrypt']);
    const fromBytes = rawKeyring('k', bytes);
    const fromCryptoKey = rawKeyring('k', cryptoKey);
    const data = randomBytes(300);
    const { ciphertext } = await encrypt(fromBytes, data);
    expectSameBytes((await decrypt(fromCryptoKey, ciphertext)).plaintext, data);
  }

  it('accepts 128- and 256-bit keys as bytes or as AES-GCM CryptoKeys', async () => {
    await roundTripWithKeyBits(128);
    await roundTripWithKeyBits(256);
  });

  it('accepts 192-bit keys as bytes or as AES-GCM CryptoKeys where WebCrypto has 192-bit AES', async (ctx) => {
    ctx.skip(!(await runtimeHasAes192()), "this runtime's WebCrypto has no 192-bit AES (Chromium)");
    await roundTripWithKeyBits(192);
  });

  it('refuses 192-bit keys plainly where WebCrypto lacks 192-bit AES', async (ctx) => {
    ctx.skip(await runtimeHasAes192(), "this runtime's WebCrypto has 192-bit AES (see the test above)");
    await expectRejection(encrypt(rawKeyring('k', randomBytes(24)), 'data'), 'InvalidArgumentError');
  });

  it('refuses bad configuration at construction', async () => {
    const bad: unknown[] = [
      { keyNamespace: 'ns', keyName: 'k', wrappingKey: new Uint8Array(31) },
      { keyNamespace: 'ns', keyName: 'k', wrappingKey: new Uint8Array(0) },
      { keyNamespace: 'ns', keyName: 'k', wrappingKey: 'not a key' },
      { keyNamespace: 'aws-kms', keyName: 'k', wrappingKey: WRAPPING_KEY },
      { keyNamespace: 'aws-kms-custom', keyName: 'k', wrappingKey: WRAPPING_KEY },
      { keyName: 'k', wrappingKey: WRAPPING_KEY },
      { keyNamespace: 'ns', wrappingKey: WRAPPING_KEY },
    ];
    for (const options of bad) {
      expect(() => new RawAesKeyring(options as never)).toThrowError(expect.objectContaining({ name: 'InvalidArgumentError' }));
    }
    const hmacKey = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const encryptOnly = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']);
    for (const wrappingKey of [hmacKey, encryptOnly]) {
      expect(() => rawKeyring('k', wrappingKey)).toThrowError(expect.objectContaining({ name: 'InvalidArgumentError' }));
    }
  });

  it('copies the key bytes it was given', async () => {
    const key = randomBytes(32);
    const keyring = rawKeyring('k', key);
    const { ciphertext } = await encrypt(keyring, 'data');
    key.fill(0);
    await decrypt(keyring, ciphertext);
  });

  it('tries every one of its EDKs and reports why none opened', async () => {
    const theirs = rawKeyring('shared-name', randomBytes(32));
    const mine = rawKeyring('shared-name');
    const { ciphertext } = await encrypt(new MultiKeyring({ generator: theirs, children: [mine] }), 'data');
    expect(new TextDecoder().decode((await decrypt(mine, ciphertext)).plaintext)).toBe('data');
    const error = await expectRejection(decrypt(rawKeyring('shared-name', randomBytes(32)), ciphertext), 'NoDecryptableKeyError');
    expect((error as NoDecryptableKeyError).causes.map((cause) => (cause as Error).name)).toContain('AuthenticationError');
  });

  it('refuses decryption materials that already hold a key', async () => {
    const materials = await dummyDecryptionMaterials();
    await expectRejection(rawKeyring().onDecrypt(withPlaintextDataKey(materials, randomBytes(32)), []), 'KeyringError');
  });
});

describe('MultiKeyring', () => {
  it('wraps the generator\'s data key with every child, and any one of them decrypts', async () => {
    const [a, b, c] = [rawKeyring('a'), rawKeyring('b'), rawKeyring('c')];
    const data = randomBytes(500);
    const { ciphertext, header } = await encrypt(new MultiKeyring({ generator: a, children: [b, c] }), data);
    expect(header.encryptedDataKeys.map((edk) => new TextDecoder().decode(edk.providerInfo.subarray(0, 1)))).toEqual(['a', 'b', 'c']);
    for (const keyring of [a, b, c, new MultiKeyring({ children: [rawKeyring('x'), c] })]) {
      expectSameBytes((await decrypt(keyring, ciphertext)).plaintext, data);
    }
  });

  it('checks its configuration and the materials it is given', async () => {
    expect(() => new MultiKeyring({})).toThrowError(expect.objectContaining({ name: 'InvalidArgumentError' }));
    expect(() => new MultiKeyring({ children: [{} as Keyring] })).toThrowError(expect.objectContaining({ name: 'InvalidArgumentError' }));
    // Without a generator, nothing makes the data key.
    await expectRejection(encrypt(new MultiKeyring({ children: [rawKeyring()] }), 'data'), 'KeyringError');
  });

  it('collects every child\'s failure', async () => {
    const { ciphertext } = await encrypt(rawKeyring('real'), 'data');
    const error = await expectRejection(
      decrypt(new MultiKeyring({ generator: rawKeyring('x'), children: [rawKeyring('y')] }), ciphertext),
      'NoDecryptableKeyError',
    );
    expect((error as NoDecryptableKeyError).causes).toHaveLength(2);
  });
});

/**
 * A keyring shaped like the EdgeKMS keyring: EDKs with provider id "aws-kms", the key ARN as
 * provider info and a service-made blob as ciphertext. Here the "service" is a local AES key.
 */
class FakeKmsKeyring implements Keyring {
  static readonly ARN = 'arn:aws:kms:us-east-1:111122223333:key/1f0c0000-0000-4000-8000-000000000000';
  private readonly inner = rawKeyring('kms-stand-in');
  calls: string[] = [];

  async onEncrypt(materials: EncryptionMaterials): Promise<EncryptionMaterials> {
    this.calls.push(materials.plaintextDataKey === undefined ? 'GenerateDataKey' : 'Encrypt');
    const wrapped = await this.inner.onEncrypt(materials);
    const blob = wrapped.encryptedDataKeys.at(-1)!;
    const edk: EncryptedDataKey = {
      providerId: 'aws-kms',
      providerInfo: new TextEncoder().encode(FakeKmsKeyring.ARN),
      ciphertext: new Uint8Array([...blob.providerInfo, ...blob.ciphertext]),
    };
    return withEncryptedDataKey(withPlaintextDataKey(materials, wrapped.plaintextDataKey!), edk);
  }

  async onDecrypt(materials: DecryptionMaterials, edks: readonly EncryptedDataKey[]): Promise<DecryptionMaterials> {
    const ours = edks.filter((edk) => edk.providerId === 'aws-kms' && new TextDecoder().decode(edk.providerInfo) === FakeKmsKeyring.ARN);
    const infoLength = 'kms-stand-in'.length + 20;
    const unwrapped = ours.map((edk) => ({
      providerId: KEY_NAMESPACE,
      providerInfo: edk.ciphertext.subarray(0, infoLength),
      ciphertext: edk.ciphertext.subarray(infoLength),
    }));
    this.calls.push('Decrypt');
    return this.inner.onDecrypt(materials, unwrapped);
  }
}

describe('keyring contract', () => {
  it('fits a KMS-style keyring as generator, with a raw AES escrow child', async () => {
    const kms = new FakeKmsKeyring();
    const escrow = rawKeyring('escrow');
    const data = randomBytes(100);
    const { ciphertext, header } = await encrypt(new MultiKeyring({ generator: kms, children: [escrow] }), data, { suite: 0x0578 });
    expect(header.encryptedDataKeys[0]!.providerId).toBe('aws-kms');
    expect(kms.calls).toEqual(['GenerateDataKey']);
    expectSameBytes((await decrypt(kms, ciphertext)).plaintext, data);
    expectSameBytes((await decrypt(escrow, ciphertext)).plaintext, data);
  });

  it('refuses keyrings that break it', async () => {
    const broken = (overrides: Partial<Keyring>): Keyring => ({
      onEncrypt: async (materials) => materials,
      onDecrypt: async (materials) => materials,
      ...overrides,
    });
    await expectRejection(encrypt(broken({}), 'data'), 'KeyringError'); // no data key
    await expectRejection(
      encrypt(broken({ onEncrypt: async (m) => withPlaintextDataKey(m, randomBytes(16)) }), 'data'),
      'KeyringError',
    ); // wrong length
    await expectRejection(
      encrypt(broken({ onEncrypt: async (m) => withPlaintextDataKey(m, randomBytes(32)) }), 'data'),
      'KeyringError',
    ); // no EDK
    await expectRejection(
      encrypt(broken({ onEncrypt: async (m) => rawKeyring().onEncrypt({ ...m, encryptionContext: { evil: 'x' } }) }), 'data'),
      'KeyringError',
    ); // changed the context
    const { ciphertext } = await encrypt(rawKeyring(), 'data');
    await expectRejection(decrypt(broken({}), ciphertext), 'KeyringError');
    await expectRejection(encrypt({} as Keyring, 'data'), 'InvalidArgumentError');
  });

  it('never lets a wrong data key through: commitment catches it', async () => {
    const { ciphertext } = await encrypt(rawKeyring(), 'data');
    const liar = broken32();
    await expectRejection(decrypt(liar, ciphertext), 'CommitmentMismatchError');
  });
});

function broken32(): Keyring {
  return {
    onEncrypt: async (materials) => materials,
    onDecrypt: async (materials) => withPlaintextDataKey(materials, randomBytes(32)),
  };
}

async function dummyDecryptionMaterials(): Promise<DecryptionMaterials> {
  return { suite: findSuite(0x0478)!, encryptionContext: {} };
}

async function runtimeHasAes192(): Promise<boolean> {
  try {
    await crypto.subtle.importKey('raw', new Uint8Array(24), 'AES-GCM', false, ['encrypt']);
    return true;
  } catch {
    return false;
  }
}
