/**
 * Message format 1 as the official SDK writes it: for every format 1 AES-GCM suite (without KDF,
 * with HKDF-SHA256, and signed with ECDSA P-256 or P-384), @aws-crypto/client-node under
 * FORBID_ENCRYPT_ALLOW_DECRYPT (the only policy under which it still writes format 1) encrypts
 * with its raw AES keyring, and this SDK decrypts, buffer and stream, under
 * REQUIRE_ENCRYPT_ALLOW_DECRYPT; under its default policy it refuses them.
 */
import { AlgorithmSuiteIdentifier, CommitmentPolicy, buildClient } from '@aws-crypto/client-node';
import { officialRawAesKeyring } from './official-node';
import { describe, expect, it } from 'vitest';
import { decrypt, decryptStream } from '../../sdk/index';
import { expectRejection, expectSameBytes, randomBytes, rawKeyring } from './helpers';
import { readAll, through } from './stream-helpers';

const legacyWriter = buildClient(CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT);
const KEY_NAME = 'legacy-key';
const CONTEXT = { tenant: 'acme', purpose: 'format 1' };

const LEGACY_SUITES: readonly [string, AlgorithmSuiteIdentifier][] = [
  ['0x0014', AlgorithmSuiteIdentifier.ALG_AES128_GCM_IV12_TAG16],
  ['0x0046', AlgorithmSuiteIdentifier.ALG_AES192_GCM_IV12_TAG16],
  ['0x0078', AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16],
  ['0x0114', AlgorithmSuiteIdentifier.ALG_AES128_GCM_IV12_TAG16_HKDF_SHA256],
  ['0x0146', AlgorithmSuiteIdentifier.ALG_AES192_GCM_IV12_TAG16_HKDF_SHA256],
  ['0x0178', AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA256],
  ['0x0214', AlgorithmSuiteIdentifier.ALG_AES128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256],
  ['0x0346', AlgorithmSuiteIdentifier.ALG_AES192_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384],
  ['0x0378', AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384],
];

const officialKeyring = () => officialRawAesKeyring(KEY_NAME);

describe('format 1 messages written by the official SDK', () => {
  const plaintext = randomBytes(3 * 1024 + 17);

  it.each(LEGACY_SUITES)('decrypt with REQUIRE_ENCRYPT_ALLOW_DECRYPT (%s), buffer and stream', async (label, suiteId) => {
    const { result } = await legacyWriter.encrypt(officialKeyring(), plaintext, { suiteId, encryptionContext: CONTEXT, frameLength: 1024 });
    expect(result[0]).toBe(1);
    const decrypted = await decrypt(rawKeyring(KEY_NAME), result, { expectedContext: CONTEXT, commitmentPolicy: 'REQUIRE_ENCRYPT_ALLOW_DECRYPT' });
    expectSameBytes(decrypted.plaintext, plaintext);
    expect(decrypted.header.suiteId).toBe(Number(label));
    const streamed = await readAll(through(result, decryptStream(rawKeyring(KEY_NAME), { commitmentPolicy: 'REQUIRE_ENCRYPT_ALLOW_DECRYPT' }), 100));
    expectSameBytes(streamed, plaintext);
    await expectRejection(decrypt(rawKeyring(KEY_NAME), result), 'UnsupportedFormatError');
  });

  it('a signed format 1 message with its signature changed is refused', async () => {
    const { result } = await legacyWriter.encrypt(officialKeyring(), plaintext, {
      suiteId: AlgorithmSuiteIdentifier.ALG_AES128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256,
      encryptionContext: CONTEXT,
    });
    const altered = Uint8Array.from(result);
    altered[altered.byteLength - 5]! ^= 1;
    await expectRejection(decrypt(rawKeyring(KEY_NAME), altered, { commitmentPolicy: 'REQUIRE_ENCRYPT_ALLOW_DECRYPT' }), 'AuthenticationError');
  });
});
