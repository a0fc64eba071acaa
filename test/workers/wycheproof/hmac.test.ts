/**
 * HMAC-SHA-256 through the service's `verifyMac` (and `generateMac`). The
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

vectorSuite<MacGroup>(
  'hmac_sha256_test.json',
  'HMAC-SHA-256: verifyMac / generateMac',
  async ({ group, test, label }) => {
    const key = hexField(test, 'key');
    const message = hexField(test, 'msg');
    const tag = hexField(test, 'tag');
    const outcome = await settle(() => verifyMac(key, 'HMAC_SHA_256', message, tag));
    const full = await generateMac(key, 'HMAC_SHA_256', message);
    const prefix = toHex(full.subarray(0, group.tagSize / 8));

    if (group.tagSize === 256) {
      expectVerdict(`${label} verifyMac`, test.result, outcome);
    } else {
      expect.soft(outcome, `${label} verifyMac: a ${group.tagSize}-bit truncated tag must be refused`).toEqual({ ok: true, value: false });
    }
    if (test.result === 'valid') expect.soft(prefix, `${label} generateMac`).toBe(toHex(tag));
    if (test.result === 'invalid') expect.soft(prefix, `${label} generateMac`).not.toBe(toHex(tag));
  },
  {
    groupTitle: (group, index) => `group ${index}: ${group.keySize}-bit key, ${group.tagSize}-bit tag${group.tagSize === 256 ? '' : ' (truncated: must be refused)'}`,
  },
);
