/**
 * The encryption context: what encrypt accepts, what decrypt returns, and the caller's
 * expectedContext check, which must refuse a message whose context lacks or differs on an entry.
 */
import { describe, expect, it } from 'vitest';
import { decrypt, encrypt, PUBLIC_KEY_CONTEXT_KEY } from '../../sdk/index';
import { SUITES, expectRejection, rawKeyring } from './helpers';

const CONTEXT = { tenant: 'acme', user: 'alice', 'Ünïcødé 🔑': 'välue ✓' };

describe.each(SUITES)('encryption context, suite $label', ({ id }) => {
  const keyring = rawKeyring();

  it('returns the context it was written with', async () => {
    const { ciphertext, header } = await encrypt(keyring, 'data', { suite: id, encryptionContext: CONTEXT });
    const { encryptionContext } = await decrypt(keyring, ciphertext);
    const { [PUBLIC_KEY_CONTEXT_KEY]: publicKey, ...rest } = encryptionContext;
    expect(rest).toEqual(CONTEXT);
    expect(header.encryptionContext).toEqual(encryptionContext);
    if (id === 0x0578) expect(publicKey).toMatch(/^[A-Za-z0-9+/]{64}[A-Za-z0-9+/=]{4}$/); // 49-byte compressed point
    else expect(publicKey).toBeUndefined();
  });

  it('accepts a matching expected context, whole or in part', async () => {
    const { ciphertext } = await encrypt(keyring, 'data', { suite: id, encryptionContext: CONTEXT });
    await decrypt(keyring, ciphertext, { expectedContext: CONTEXT });
    await decrypt(keyring, ciphertext, { expectedContext: { tenant: 'acme' } });
    await decrypt(keyring, ciphertext, { expectedContext: {} });
  });

  it('refuses a wrong or missing expected entry', async () => {
    const { ciphertext } = await encrypt(keyring, 'data', { suite: id, encryptionContext: CONTEXT });
    await expectRejection(decrypt(keyring, ciphertext, { expectedContext: { tenant: 'evil' } }), 'ContextMismatchError');
    await expectRejection(decrypt(keyring, ciphertext, { expectedContext: { ...CONTEXT, role: 'admin' } }), 'ContextMismatchError');
    await expectRejection(decrypt(keyring, ciphertext, { expectedContext: { tenant: 'acme ' } }), 'ContextMismatchError');
    await expectRejection(decrypt(keyring, ciphertext, { expectedContext: { toString: 'x' } }), 'ContextMismatchError');
    await expectRejection(decrypt(keyring, ciphertext, { expectedContext: { [PUBLIC_KEY_CONTEXT_KEY]: 'AAAA' } }), 'ContextMismatchError');
  });

  it('refuses an expected context when the message has none', async () => {
    const { ciphertext } = await encrypt(keyring, 'data', { suite: id });
    await expectRejection(decrypt(keyring, ciphertext, { expectedContext: { tenant: 'acme' } }), 'ContextMismatchError');
  });

  it('keeps unusual keys as plain entries', async () => {
    const context = JSON.parse('{"__proto__": "p", "constructor": "c", "": "empty key", "empty value": ""}');
    const { ciphertext } = await encrypt(keyring, 'data', { suite: id, encryptionContext: context });
    const { encryptionContext } = await decrypt(keyring, ciphertext, { expectedContext: context });
    expect(Object.getPrototypeOf(encryptionContext)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(encryptionContext, '__proto__')?.value).toBe('p');
    expect(encryptionContext['']).toBe('empty key');
  });
});

describe('context validation on encrypt', () => {
  const keyring = rawKeyring();

  it('refuses reserved keys, non-strings and malformed strings', async () => {
    const bad: unknown[] = [
      { 'aws-crypto-public-key': 'x' },
      { 'aws-crypto-anything': 'x' },
      { n: 1 },
      { n: null },
      { ['\uD800']: 'lone surrogate key' },
      { k: 'lone surrogate \uDC00 value' },
      { k: 'x'.repeat(65536) },
      'not an object',
      [['k', 'v']],
    ];
    for (const encryptionContext of bad) {
      await expectRejection(encrypt(keyring, 'data', { encryptionContext: encryptionContext as never }), 'InvalidArgumentError');
    }
  });

  it('refuses a context too large for the header, and accepts one just inside it', async () => {
    // Header AAD: 2 (count) + per entry 4 + key + value, at most 65535 bytes in all.
    const fits = { k: 'v'.repeat(65535 - 2 - 4 - 1) };
    const { ciphertext } = await encrypt(keyring, 'data', { encryptionContext: fits });
    await decrypt(keyring, ciphertext, { expectedContext: fits });
    await expectRejection(encrypt(keyring, 'data', { encryptionContext: { k: 'v'.repeat(65535 - 2 - 4) } }), 'InvalidArgumentError');
  });
});
