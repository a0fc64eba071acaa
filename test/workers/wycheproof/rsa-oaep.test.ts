/**
 * RSAES-OAEP 2048 / SHA-256 / MGF1-SHA-256 through the service's `rsaDecrypt`
 * (RSAES_OAEP_SHA_256). The service uses no OAEP label, so only vectors with an
 * empty label can decrypt; a labelled ciphertext must not yield its message.
 * Refusals must be InvalidCiphertextException, never another error.
 */
import { expect } from 'vitest';
import { rsaDecrypt } from '../../../worker/crypto/rsa-encryption';
import { errorText, hexField, settle, toHex, vectorSuite, type WycheproofGroup } from './vectors';

interface OaepGroup extends WycheproofGroup {
  keySize: number;
  sha: string;
  mgf: string;
  mgfSha: string;
  privateKeyPkcs8: string;
}

vectorSuite<OaepGroup>(
  'rsa_oaep_2048_sha256_mgf1sha256_test.json',
  'RSAES-OAEP 2048 SHA-256 MGF1-SHA-256: rsaDecrypt',
  async ({ group, test, label }) => {
    const pkcs8 = hexField(group, 'privateKeyPkcs8');
    const message = toHex(hexField(test, 'msg'));
    const labelled = hexField(test, 'label').length > 0;
    const outcome = await settle(() => rsaDecrypt(pkcs8, 'RSAES_OAEP_SHA_256', hexField(test, 'ct')));
    const refusedProperly = !outcome.ok && outcome.error instanceof Error && outcome.error.name === 'InvalidCiphertextException';
    const describeOutcome = outcome.ok ? `returned ${toHex(outcome.value)}` : `threw ${errorText(outcome.error)}`;

    if (labelled) {
      // Either refused or some other bytes, never the message; and a refusal is the service's error.
      expect(outcome.ok && toHex(outcome.value) === message, `${label}: labelled ciphertext (label ignored by the service) ${describeOutcome}`).toBe(false);
      if (!outcome.ok) expect(refusedProperly, `${label}: ${describeOutcome}`).toBe(true);
    } else if (test.result === 'valid') {
      expect(outcome.ok ? toHex(outcome.value) : describeOutcome, `${label}: valid ciphertext must decrypt to msg`).toBe(message);
    } else if (test.result === 'invalid') {
      expect(refusedProperly, `${label}: invalid ciphertext must throw InvalidCiphertextException, ${describeOutcome}`).toBe(true);
    } else {
      expect(
        (outcome.ok && toHex(outcome.value) === message) || refusedProperly,
        `${label}: acceptable ciphertext must decrypt to msg or throw InvalidCiphertextException, ${describeOutcome}`,
      ).toBe(true);
    }
  },
  {
    checkGroup: (group) => {
      expect([group.keySize, group.sha, group.mgf, group.mgfSha]).toEqual([2048, 'SHA-256', 'MGF1', 'SHA-256']);
    },
  },
);
