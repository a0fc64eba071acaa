/**
 * HMAC-SHA-256 and HMAC-SHA-224 through the service's `verifyMac` (and `generateMac`). The
 * service only produces and accepts full-length tags: a group with a truncated
 * tag size is valid only for truncated-MAC APIs, so every tag of such a group
 * must be refused by verifyMac (while a valid one is still the prefix of what
 * generateMac computes).
 */
import { expect } from 'vitest';
import { generateMac, verifyMac } from '../../../worker/crypto/mac';
import { expectVerdict, hexField, settle, toHex, vectorSuite, type WycheproofGroup } from './vectors';

interface MacGroup extends WycheproofGroup {
  keySize: number;
  tagSize: number;
}

const SUITES = [
  { file: 'hmac_sha256_test.json', algorithm: 'HMAC_SHA_256', bits: 256 },
  // HMAC_224 runs on @noble/hashes (WebCrypto has no SHA-224), with its own constant-time comparison.
  { file: 'hmac_sha224_test.json', algorithm: 'HMAC_SHA_224', bits: 224 },
] as const;

for (const { file, algorithm, bits } of SUITES) {
  vectorSuite<MacGroup>(
    file,
    `${algorithm}: verifyMac / generateMac`,
    async ({ group, test, label }) => {
      const key = hexField(test, 'key');
      const message = hexField(test, 'msg');
      const tag = hexField(test, 'tag');
      const outcome = await settle(() => verifyMac(key, algorithm, message, tag));
      const full = await generateMac(key, algorithm, message);
      const prefix = toHex(full.subarray(0, group.tagSize / 8));

      if (group.tagSize === bits) {
        expectVerdict(`${label} verifyMac`, test.result, outcome);
      } else {
        expect.soft(outcome, `${label} verifyMac: a ${group.tagSize}-bit truncated tag must be refused`).toEqual({ ok: true, value: false });
      }
      if (test.result === 'valid') expect.soft(prefix, `${label} generateMac`).toBe(toHex(tag));
      if (test.result === 'invalid') expect.soft(prefix, `${label} generateMac`).not.toBe(toHex(tag));
    },
    {
      groupTitle: (group, index) => `group ${index}: ${group.keySize}-bit key, ${group.tagSize}-bit tag${group.tagSize === bits ? '' : ' (truncated: must be refused)'}`,
    },
  );
}
