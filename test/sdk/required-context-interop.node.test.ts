/**
 * RequiredEncryptionContextCMM and the official AWS Encryption SDK for JavaScript (5.0.2), which
 * has no such manager and no reproduced context: messages it writes (every entry stored) decrypt
 * here through the manager when the reader reproduces the required entries, for both suites, and
 * are refused when the reproduced value differs. The reverse direction needs an official SDK with
 * the manager (the Material Providers Library's, in Python, Java or .NET); see sdk/README.md.
 */
import { AlgorithmSuiteIdentifier, CommitmentPolicy, buildClient } from '@aws-crypto/client-node';
import { officialRawAesKeyring } from './official-node';
import { describe, expect, it } from 'vitest';
import { RequiredEncryptionContextCMM, decrypt } from '../../sdk/index';
import { expectRejection, expectSameBytes, randomBytes, rawKeyring } from './helpers';

const official = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
const KEY_NAME = 'required-context-key';
const CONTEXT = { tenant: 'acme', record: 'r-17', purpose: 'billing' };

const SUITES: readonly [string, AlgorithmSuiteIdentifier][] = [
  ['0x0478', AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY],
  ['0x0578', AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384],
];

describe('RequiredEncryptionContextCMM reading the official SDK’s messages', () => {
  const plaintext = randomBytes(5000);
  const keyring = () => officialRawAesKeyring(KEY_NAME);
  const manager = () => new RequiredEncryptionContextCMM({ underlying: rawKeyring(KEY_NAME), requiredEncryptionContextKeys: ['tenant', 'record'] });

  it.each(SUITES)('decrypts when the reader reproduces the required entries (%s)', async (_label, suiteId) => {
    const { result } = await official.encrypt(keyring(), plaintext, { suiteId, encryptionContext: CONTEXT });
    const decrypted = await decrypt(manager(), result, { reproducedContext: { tenant: 'acme', record: 'r-17' } });
    expectSameBytes(decrypted.plaintext, plaintext);
    expect(decrypted.encryptionContext).toMatchObject(CONTEXT);
    await expectRejection(decrypt(manager(), result), 'ContextMismatchError');
    await expectRejection(decrypt(manager(), result, { reproducedContext: { tenant: 'acme', record: 'r-18' } }), 'ContextMismatchError');
  });
});
