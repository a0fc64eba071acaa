/**
 * AES-GCM through the service's `gcmOpen` (key from `importAesKey`), the one
 * primitive behind ciphertext blobs and sealed key material. It takes a
 * 12-byte IV and a 16-byte tag: with those, a valid vector opens to msg and an
 * invalid one yields undefined; any other IV or tag size is not accepted at
 * all, so it must yield undefined (never a plaintext).
 */
import { expect } from 'vitest';
import { gcmOpen, gcmSeal, importAesKey } from '../../../worker/crypto/aes-gcm';
import { concat, errorText, hexField, settle, toHex, vectorSuite, type WycheproofGroup } from './vectors';

interface AeadGroup extends WycheproofGroup {
  keySize: number;
  ivSize: number;
  tagSize: number;
}

/** Whether workerd's WebCrypto takes this AES key size at all (probed once, not assumed). */
async function supportsKeySize(bits: number): Promise<boolean> {
  try {
    const key = await importAesKey(new Uint8Array(bits / 8));
    const iv = new Uint8Array(12);
    const sealed = await gcmSeal(key, iv, new Uint8Array(0), new Uint8Array(0));
    return (await gcmOpen(key, iv, new Uint8Array(0), sealed))?.length === 0;
  } catch {
    return false;
  }
}

const supported = new Map<number, boolean>();
for (const bits of [128, 192, 256]) supported.set(bits, await supportsKeySize(bits));

vectorSuite<AeadGroup>(
  'aes_gcm_test.json',
  'AES-GCM: gcmOpen',
  async ({ group, test, label }) => {
    const iv = hexField(test, 'iv');
    const sealed = concat(hexField(test, 'ct'), hexField(test, 'tag'));
    const outcome = await settle(async () => gcmOpen(await importAesKey(hexField(test, 'key')), iv, hexField(test, 'aad'), sealed));
    if (!outcome.ok) {
      expect.fail(`${label}: threw ${errorText(outcome.error)}; gcmOpen must return a plaintext or undefined`);
      return;
    }
    const opened = outcome.value === undefined ? 'undefined' : toHex(outcome.value);
    const serviceShape = iv.length === 12 && group.tagSize === 128;
    if (!serviceShape) {
      expect(opened, `${label}: ${iv.length}-byte IV / ${group.tagSize}-bit tag is not the service's shape`).toBe('undefined');
    } else if (test.result === 'valid') {
      expect(opened, `${label}: valid vector must open`).toBe(toHex(hexField(test, 'msg')));
    } else if (test.result === 'invalid') {
      expect(opened, `${label}: invalid vector must not open`).toBe('undefined');
    } else {
      expect([toHex(hexField(test, 'msg')), 'undefined'], `${label}: acceptable vector`).toContain(opened);
    }
  },
  {
    groupTitle: (group, index) =>
      `group ${index}: ${group.keySize}-bit key, ${group.ivSize}-bit IV, ${group.tagSize}-bit tag${
        group.ivSize === 96 && group.tagSize === 128 ? '' : ' (not the service shape: must not open)'
      }`,
    skipGroup: (group) =>
      supported.get(group.keySize) === false
        ? `WebCrypto in workerd does not support ${group.keySize}-bit AES-GCM keys (the service uses 256-bit keys only)`
        : undefined,
  },
);
