/**
 * RequiredEncryptionContextCMM in every runtime: required keys are authenticated but not stored,
 * a reader must reproduce them (buffer and stream APIs), and every way of getting them wrong is
 * refused: missing on encrypt, missing on decrypt (before any keyring call), or a wrong value
 * (the header tag, or a keyring that binds the context, refuses it).
 * With the official SDK: required-context-interop.node.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  decrypt,
  decryptStream,
  encrypt,
  encryptStream,
  RequiredEncryptionContextCMM,
  type DecryptionMaterials,
  type EncryptionMaterials,
  type Keyring,
} from '../../sdk/index';
import { SUITES, expectRejection, expectSameBytes, randomBytes, rawKeyring } from './helpers';
import { readAll, through } from './stream-helpers';

const CONTEXT = { tenant: 'acme', record: 'r-17', purpose: 'billing' };
const REQUIRED = ['tenant', 'record'];

function manager(keyring: Keyring = rawKeyring()): RequiredEncryptionContextCMM {
  return new RequiredEncryptionContextCMM({ underlying: keyring, requiredEncryptionContextKeys: REQUIRED });
}

/** Wraps nothing: hands out one fixed data key, so only the header tag guards the context. */
class FixedKeyring implements Keyring {
  calls = 0;
  private readonly key = randomBytes(32);
  async onEncrypt(materials: EncryptionMaterials): Promise<EncryptionMaterials> {
    return Object.freeze({
      ...materials,
      plaintextDataKey: this.key,
      encryptedDataKeys: [{ providerId: 'fixed', providerInfo: new Uint8Array(1), ciphertext: new Uint8Array(1) }],
    });
  }
  async onDecrypt(materials: DecryptionMaterials): Promise<DecryptionMaterials> {
    this.calls++;
    return Object.freeze({ ...materials, plaintextDataKey: this.key });
  }
}

describe.each(SUITES)('RequiredEncryptionContextCMM ($label)', ({ id: suite }) => {
  const data = randomBytes(3000);

  it('keeps the required entries out of the header and needs them back to decrypt', async () => {
    const { ciphertext, header } = await encrypt(manager(), data, { suite, encryptionContext: CONTEXT, frameLength: 1024 });
    expect(Object.keys(header.encryptionContext).filter((key) => !key.startsWith('aws-crypto-'))).toEqual(['purpose']);
    const text = new TextDecoder().decode(ciphertext);
    expect(text).not.toContain('r-17');
    const reproducedContext = { tenant: 'acme', record: 'r-17' };
    const decrypted = await decrypt(manager(), ciphertext, { reproducedContext });
    expectSameBytes(decrypted.plaintext, data);
    expect(decrypted.encryptionContext).toMatchObject(CONTEXT);
    // The default manager reads it too, given the same reproduced context.
    expectSameBytes((await decrypt(rawKeyring(), ciphertext, { reproducedContext })).plaintext, data);
    const streamed = await readAll(through(ciphertext, decryptStream(manager(), { reproducedContext }), 100));
    expectSameBytes(streamed, data);
  });

  it('writes the same message from encryptStream', async () => {
    const ciphertext = await readAll(through(data, encryptStream(manager(), { suite, encryptionContext: CONTEXT, frameLength: 512 }), 333));
    expectSameBytes((await decrypt(manager(), ciphertext, { reproducedContext: { tenant: 'acme', record: 'r-17' } })).plaintext, data);
  });

  it('refuses to encrypt without every required key', async () => {
    await expectRejection(encrypt(manager(), data, { suite, encryptionContext: { tenant: 'acme' } }), 'InvalidArgumentError');
  });

  it('refuses to decrypt without the reproduced keys, before any keyring call', async () => {
    const keyring = new FixedKeyring();
    const { ciphertext } = await encrypt(manager(keyring), data, { suite, encryptionContext: CONTEXT });
    await expectRejection(decrypt(manager(keyring), ciphertext), 'ContextMismatchError');
    await expectRejection(decrypt(manager(keyring), ciphertext, { reproducedContext: { tenant: 'acme' } }), 'ContextMismatchError');
    expect(keyring.calls).toBe(0);
    // Without the manager, a reader that does not reproduce them cannot authenticate the header.
    await expectRejection(decrypt(keyring, ciphertext), 'AuthenticationError');
  });

  it('refuses a wrong reproduced value: by the header tag, and by a keyring that binds the context', async () => {
    const keyring = new FixedKeyring();
    const { ciphertext } = await encrypt(manager(keyring), data, { suite, encryptionContext: CONTEXT });
    await expectRejection(decrypt(manager(keyring), ciphertext, { reproducedContext: { tenant: 'acme', record: 'r-18' } }), 'AuthenticationError');
    const raw = await encrypt(manager(), data, { suite, encryptionContext: CONTEXT });
    await expectRejection(decrypt(manager(), raw.ciphertext, { reproducedContext: { tenant: 'acme', record: 'r-18' } }), 'NoDecryptableKeyError');
    // A reproduced value that contradicts a stored one is a mismatch, not a new entry.
    await expectRejection(decrypt(manager(), raw.ciphertext, { reproducedContext: { tenant: 'acme', record: 'r-17', purpose: 'other' } }), 'ContextMismatchError');
  });
});

describe('RequiredEncryptionContextCMM options', () => {
  it('needs an underlying keyring or manager and at least one key', () => {
    for (const options of [{ underlying: rawKeyring(), requiredEncryptionContextKeys: [] }, { underlying: {}, requiredEncryptionContextKeys: ['a'] }, {}]) {
      expect(() => new RequiredEncryptionContextCMM(options as never)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
    }
  });
});
