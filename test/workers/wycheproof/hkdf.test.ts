/**
 * HKDF-SHA-256 / HKDF-SHA-512 vectors through workerd's WebCrypto HKDF, the
 * derivation worker/crypto/sealing.ts relies on to turn MASTER_KEY into the
 * per-key-version sealing keys (the service exports no HKDF function of its
 * own). Valid vectors must derive okm; an output size beyond 255·HashLen must
 * be refused.
 */
import { expect } from 'vitest';
import { errorText, hexField, settle, toHex, vectorSuite, type WycheproofGroup } from './vectors';

interface HkdfGroup extends WycheproofGroup {
  keySize: number;
}

for (const [file, hash] of [
  ['hkdf_sha256_test.json', 'SHA-256'],
  ['hkdf_sha512_test.json', 'SHA-512'],
] as const) {
  vectorSuite<HkdfGroup>(
    file,
    `HKDF-${hash}: WebCrypto deriveBits (the sealing-key derivation)`,
    async ({ test, label }) => {
      const size = test.size as number;
      const outcome = await settle(async () => {
        const ikm = await crypto.subtle.importKey('raw', hexField(test, 'ikm'), 'HKDF', false, ['deriveBits']);
        const params = { name: 'HKDF', hash, salt: hexField(test, 'salt'), info: hexField(test, 'info') };
        return new Uint8Array(await crypto.subtle.deriveBits(params, ikm, size * 8));
      });
      const got = outcome.ok ? toHex(outcome.value) : `threw ${errorText(outcome.error)}`;
      if (test.result === 'valid') expect(got, `${label}: okm of ${size} bytes`).toBe(test.okm);
      else if (test.result === 'invalid') expect(outcome.ok, `${label}: ${size} bytes must be refused, got ${got.slice(0, 40)}`).toBe(false);
      else expect(!outcome.ok || got === test.okm, `${label}: acceptable, got ${got.slice(0, 40)}`).toBe(true);
    },
    { groupTitle: (group, index) => `group ${index}: ${group.keySize}-bit ikm` },
  );
}
