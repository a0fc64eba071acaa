/**
 * RSASSA-PSS 2048 / SHA-256 / MGF1-SHA-256 / salt 32 through the service's
 * `verifySignature` (RSA_2048, RSASSA_PSS_SHA_256): RAW runs on WebCrypto;
 * DIGEST runs the service's own RSA primitive (raw-rsa.ts) and EMSA-PSS
 * verification (rsa-padding.ts), so every invalid vector must be refused on
 * that path too.
 */
import { expect } from 'vitest';
import { verifySignature } from '../../../worker/crypto/signing';
import { expectVerdict, hexField, settle, sha, vectorSuite, type WycheproofGroup } from './vectors';

interface PssGroup extends WycheproofGroup {
  keySize: number;
  sha: string;
  mgf: string;
  mgfSha: string;
  sLen: number;
  publicKeyDer: string;
}

vectorSuite<PssGroup>(
  'rsa_pss_2048_sha256_mgf1_32_test.json',
  'RSASSA-PSS 2048 SHA-256 MGF1-SHA-256 salt 32: verifySignature RAW and DIGEST',
  async ({ group, test, label }) => {
    const spki = hexField(group, 'publicKeyDer');
    const message = hexField(test, 'msg');
    const signature = hexField(test, 'sig');
    const raw = await settle(() => verifySignature('RSA_2048', spki, 'RSASSA_PSS_SHA_256', 'RAW', message, signature));
    expectVerdict(`${label} RAW`, test.result, raw);
    const digest = await sha('SHA-256', message);
    const viaDigest = await settle(() =>
      verifySignature('RSA_2048', spki, 'RSASSA_PSS_SHA_256', 'DIGEST', digest, signature),
    );
    expectVerdict(`${label} DIGEST (raw-rsa + rsa-padding)`, test.result, viaDigest);
  },
  {
    checkGroup: (group) => {
      expect([group.keySize, group.sha, group.mgf, group.mgfSha, group.sLen]).toEqual([2048, 'SHA-256', 'MGF1', 'SHA-256', 32]);
    },
  },
);
