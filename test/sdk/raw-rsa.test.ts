/**
 * RawRsaKeyring in every runtime (Node, workerd, Chromium): each padding with each suite, the
 * official EDK layout, key formats, and PKCS1's decryptor, which must never reveal a bad padding
 * (implicit rejection: a wrong data key, refused later by the key commitment, whatever was wrong).
 * Interop with the official SDK's RawRsaKeyringNode: raw-rsa-interop.node.test.ts.
 */
import { pow } from '@noble/curves/abstract/modular.js';
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { decrypt, encrypt, MultiKeyring, RawRsaKeyring, type RsaPadding } from '../../sdk/index';
import { pkcs1DecryptKey, rsaPrivateComponents } from '../../sdk/crypto/rsa-pkcs1';
import { findSuite } from '../../sdk/suites';
import { SUITES, expectRejection, expectSameBytes, hex, randomBytes, rawKeyring } from './helpers';

const PADDINGS: readonly RsaPadding[] = ['OAEP-SHA1-MGF1', 'OAEP-SHA256-MGF1', 'OAEP-SHA384-MGF1', 'OAEP-SHA512-MGF1', 'PKCS1'];

interface TestKeyPair {
  readonly spkiPem: string;
  readonly pkcs8Pem: string;
  readonly spki: Uint8Array;
  readonly pkcs8: Uint8Array;
  readonly jwk: JsonWebKey;
}

function pem(label: string, der: Uint8Array): string {
  const base64 = btoa(Array.from(der, (b) => String.fromCharCode(b)).join(''));
  return `-----BEGIN ${label}-----\n${base64.match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

async function generateKeyPair(bits = 2048): Promise<TestKeyPair> {
  const pair = await crypto.subtle.generateKey(
    { name: 'RSA-OAEP', modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    true,
    ['encrypt', 'decrypt'],
  );
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  const jwk = await crypto.subtle.exportKey('jwk', pair.privateKey);
  return { spki, pkcs8, jwk, spkiPem: pem('PUBLIC KEY', spki), pkcs8Pem: pem('PRIVATE KEY', pkcs8) };
}

function keyring(pair: TestKeyPair, padding: RsaPadding, keyName = 'rsa-key'): RawRsaKeyring {
  return new RawRsaKeyring({ keyNamespace: 'rsa-tests', keyName, padding, publicKey: pair.spkiPem, privateKey: pair.pkcs8Pem });
}

function bigintFromJwk(value: string): bigint {
  const base64 = value.replace(/-/g, '+').replace(/_/g, '/');
  return bytesToNumberBE(Uint8Array.from(atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4)), (c) => c.charCodeAt(0)));
}

let pair: TestKeyPair;
let other: TestKeyPair;
beforeAll(async () => {
  [pair, other] = await Promise.all([generateKeyPair(), generateKeyPair()]);
}, 60_000);

describe('RawRsaKeyring', () => {
  for (const padding of PADDINGS) {
    for (const suite of SUITES) {
      it(`round-trips with ${padding} (${suite.label})`, async () => {
        const data = randomBytes(5000);
        const { ciphertext, header } = await encrypt(keyring(pair, padding), data, { suite: suite.id, encryptionContext: { a: 'b' } });
        const [edk] = header.encryptedDataKeys;
        // The official layout: namespace, key name as UTF-8, and the modulus-length ciphertext.
        expect(edk!.providerId).toBe('rsa-tests');
        expect(hex(edk!.providerInfo)).toBe(hex(new TextEncoder().encode('rsa-key')));
        expect(edk!.ciphertext).toHaveLength(256);
        expectSameBytes((await decrypt(keyring(pair, padding), ciphertext)).plaintext, data);
      });
    }
  }

  it('takes keys as PEM, DER, JWK and CryptoKey, and a public key alone only encrypts', async () => {
    const encryptOnly = new RawRsaKeyring({ keyNamespace: 'rsa-tests', keyName: 'rsa-key', padding: 'OAEP-SHA256-MGF1', publicKey: pair.spki });
    const { ciphertext } = await encrypt(encryptOnly, 'bytes');
    await expectRejection(decrypt(encryptOnly, ciphertext), 'KeyringError');
    const { n, e } = pair.jwk;
    const fromJwk = new RawRsaKeyring({ keyNamespace: 'rsa-tests', keyName: 'rsa-key', padding: 'OAEP-SHA256-MGF1', privateKey: pair.jwk, publicKey: { kty: 'RSA', n, e } });
    expect(new TextDecoder().decode((await decrypt(fromJwk, ciphertext)).plaintext)).toBe('bytes');
    const cryptoKey = await crypto.subtle.importKey('pkcs8', pair.pkcs8 as Uint8Array<ArrayBuffer>, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt']);
    const fromCryptoKey = new RawRsaKeyring({ keyNamespace: 'rsa-tests', keyName: 'rsa-key', padding: 'OAEP-SHA256-MGF1', privateKey: cryptoKey });
    expect(new TextDecoder().decode((await decrypt(fromCryptoKey, ciphertext)).plaintext)).toBe('bytes');
    // A CryptoKey for another hash, or an unextractable one for PKCS1, is refused.
    await expectRejection(decrypt(new RawRsaKeyring({ keyNamespace: 'rsa-tests', keyName: 'rsa-key', padding: 'OAEP-SHA1-MGF1', privateKey: cryptoKey }), ciphertext), 'InvalidArgumentError');
    await expectRejection(decrypt(new RawRsaKeyring({ keyNamespace: 'rsa-tests', keyName: 'rsa-key', padding: 'PKCS1', privateKey: cryptoKey }), ciphertext), 'InvalidArgumentError');
  });

  it('refuses bad configuration at construction', () => {
    const bad: unknown[] = [
      { keyName: 'k', padding: 'PKCS1', publicKey: 'x' },
      { keyNamespace: 'aws-kms', keyName: 'k', padding: 'PKCS1', publicKey: 'x' },
      { keyNamespace: 'n', keyName: 'k', padding: 'OAEP-SHA224-MGF1', publicKey: 'x' },
      { keyNamespace: 'n', keyName: 'k', padding: 'PKCS1' },
    ];
    for (const options of bad) expect(() => new RawRsaKeyring(options as never)).toThrow(expect.objectContaining({ name: 'InvalidArgumentError' }));
  });

  it('refuses a PKCS #1 "RSA PRIVATE KEY" PEM and a private key given as the public one, plainly', async () => {
    const wrongLabel = new RawRsaKeyring({ keyNamespace: 'n', keyName: 'k', padding: 'PKCS1', publicKey: pair.pkcs8Pem });
    await expectRejection(encrypt(wrongLabel, 'x'), 'InvalidArgumentError');
    const pkcs1Pem = pair.pkcs8Pem.replace(/PRIVATE KEY/g, 'RSA PRIVATE KEY');
    const { ciphertext } = await encrypt(keyring(pair, 'PKCS1'), 'x');
    const rsaLabel = new RawRsaKeyring({ keyNamespace: 'rsa-tests', keyName: 'rsa-key', padding: 'PKCS1', privateKey: pkcs1Pem });
    await expectRejection(decrypt(rsaLabel, ciphertext), 'InvalidArgumentError');
  });

  it('only tries EDKs of its namespace and name, and a MultiKeyring goes on to the next keyring', async () => {
    const writer = new MultiKeyring({ generator: rawKeyring(), children: [keyring(pair, 'OAEP-SHA256-MGF1')] });
    const { ciphertext } = await encrypt(writer, 'two ways in');
    expect(new TextDecoder().decode((await decrypt(keyring(pair, 'OAEP-SHA256-MGF1'), ciphertext)).plaintext)).toBe('two ways in');
    await expectRejection(decrypt(keyring(pair, 'OAEP-SHA256-MGF1', 'another-name'), ciphertext), 'NoDecryptableKeyError');
  });

  it('with OAEP, reports an EDK of another key pair as undecryptable', async () => {
    const { ciphertext } = await encrypt(keyring(other, 'OAEP-SHA256-MGF1'), 'for the other key');
    await expectRejection(decrypt(keyring(pair, 'OAEP-SHA256-MGF1'), ciphertext), 'NoDecryptableKeyError');
  });

  it('with PKCS1, opens an EDK of another key pair to a wrong key that the key commitment refuses', async () => {
    // The other key's ciphertext is below its own modulus, not always below this key's (both moduli are
    // random 2048-bit numbers): when it is not, this key cannot even try it, as in the official SDK. Each
    // message has a new data key, and at least half of them fall below this modulus: a few tries find one.
    const n = bigintFromJwk(pair.jwk.n!);
    const seen = new Set<string>();
    for (let attempt = 0; attempt < 24 && !seen.has('CommitmentMismatchError'); attempt++) {
      const { ciphertext, header } = await encrypt(keyring(other, 'PKCS1'), 'for the other key');
      const below = bytesToNumberBE(header.encryptedDataKeys[0]!.ciphertext) < n;
      const expected = below ? 'CommitmentMismatchError' : 'NoDecryptableKeyError';
      await expectRejection(decrypt(keyring(pair, 'PKCS1'), ciphertext), expected);
      seen.add(expected);
    }
    expect(seen).toContain('CommitmentMismatchError');
  });
});

describe('PKCS1 v1.5 key unwrapping (crypto/rsa-pkcs1.ts)', () => {
  const length = findSuite(0x0478)!.keyLength;

  /** c = em^e mod n for a hand-built encoding `em`, so every malformation can be produced. */
  function encryptEncoding(em: Uint8Array): Uint8Array {
    const n = bigintFromJwk(pair.jwk.n!);
    const e = bigintFromJwk(pair.jwk.e!);
    return numberToBytesBE(pow(bytesToNumberBE(em), e, n), 256);
  }

  function encoding(key: Uint8Array, change: (em: Uint8Array) => void = () => {}): Uint8Array {
    const em = new Uint8Array(256);
    em[1] = 0x02;
    em.fill(0x5a, 2, 256 - key.length - 1);
    em.set(key, 256 - key.length);
    change(em);
    return em;
  }

  it('writes 00 02, nonzero random padding, 00 and the key, under the public key', async () => {
    const { header } = await encrypt(keyring(pair, 'PKCS1'), 'x');
    const c = bytesToNumberBE(header.encryptedDataKeys[0]!.ciphertext);
    const em = numberToBytesBE(pow(c, bigintFromJwk(pair.jwk.d!), bigintFromJwk(pair.jwk.n!)), 256);
    expect([em[0], em[1], em[256 - 33]]).toEqual([0, 2, 0]);
    expect(em.subarray(2, 256 - 33).every((byte) => byte !== 0)).toBe(true);
  });

  it('returns the key of a valid encoding, and for every malformed one a substitute that says nothing', () => {
    const key = rsaPrivateComponents(pair.jwk);
    const dataKey = randomBytes(length);
    // A key starting with 00 would make "no separator" below the valid encoding of a 31-byte key,
    // the same bytes as "a 31-byte key" (one run in 256 failed on that).
    dataKey[0]! |= 0x01;
    expectSameBytes(pkcs1DecryptKey(key, encryptEncoding(encoding(dataKey)), length), dataKey);
    const malformed: Record<string, Uint8Array> = {
      'first byte not 00': encoding(dataKey, (em) => (em[0] = 0x01)),
      'block type 01': encoding(dataKey, (em) => (em[1] = 0x01)),
      'a zero inside the padding': encoding(dataKey, (em) => (em[100] = 0)),
      'a zero as the first padding byte': encoding(dataKey, (em) => (em[2] = 0)),
      'no separator': encoding(dataKey, (em) => (em[256 - length - 1] = 0x5a)),
      'a 31-byte key': encoding(dataKey.subarray(1)),
      'a 33-byte key': encoding(new Uint8Array([7, ...dataKey])),
    };
    const substitutes = new Set<string>();
    for (const [what, em] of Object.entries(malformed)) {
      const ciphertext = encryptEncoding(em);
      const first = pkcs1DecryptKey(key, ciphertext, length);
      expect(first, what).toHaveLength(length);
      expect(hex(first), what).not.toBe(hex(dataKey));
      // The same ciphertext always gives the same substitute, so retrying tells nothing either.
      expect(hex(pkcs1DecryptKey(key, ciphertext, length)), what).toBe(hex(first));
      substitutes.add(hex(first));
    }
    expect(substitutes.size).toBe(Object.keys(malformed).length);
  });

  it('refuses only what needs no key to see: a ciphertext of the wrong length or not below the modulus', () => {
    const key = rsaPrivateComponents(pair.jwk);
    expect(() => pkcs1DecryptKey(key, new Uint8Array(255), length)).toThrow(expect.objectContaining({ name: 'KeyringError' }));
    expect(() => pkcs1DecryptKey(key, new Uint8Array(256).fill(0xff), length)).toThrow(expect.objectContaining({ name: 'KeyringError' }));
  });
});
