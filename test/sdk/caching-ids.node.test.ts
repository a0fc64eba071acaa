/**
 * Cache entry identifiers agree with the official AWS Encryption SDK for JavaScript's
 * (spec: framework/caching-cmm.md, Appendix A): computed here and by its
 * buildCryptographicMaterialsCacheKeyHelpers for the same partition, suite, context and EDKs.
 * Node-only, because the official SDK is.
 */
import { createHash } from 'node:crypto';
import { buildCryptographicMaterialsCacheKeyHelpers } from '@aws-crypto/cache-material';
import { EncryptedDataKey, NodeAlgorithmSuite } from '@aws-crypto/material-management';
import { describe, expect, it } from 'vitest';
import { decryptionCacheId, encryptionCacheId, partitionDigest } from '../../sdk/caching/cache-id';
import { SUITE_AES256_HKDF_SHA512_COMMIT_KEY, SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384, findSuite } from '../../sdk/index';

const official = buildCryptographicMaterialsCacheKeyHelpers(
  (text: string) => Buffer.from(text, 'utf8'),
  (bytes: Uint8Array) => Buffer.from(bytes).toString('hex'),
  async (...data: (Uint8Array | string)[]) => {
    const hash = createHash('sha512');
    for (const part of data) hash.update(part);
    return hash.digest();
  },
);

const CONTEXTS: Record<string, string>[] = [
  {},
  { tenant: 'acme' },
  { b: '2', a: '1', Zeta: 'upper case sorts first by bytes', 'ключ': 'не ASCII', '😀': 'outside the BMP' },
];

const EDKS = [
  { providerId: 'aws-kms', providerInfo: 'arn:aws:kms:us-east-1:111122223333:key/one', ciphertext: Uint8Array.from({ length: 40 }, (_, i) => i) },
  { providerId: 'app', providerInfo: 'wrapping-key', ciphertext: Uint8Array.from({ length: 48 }, (_, i) => 255 - i) },
];

describe('cache entry identifiers match the official SDK', () => {
  for (const suiteId of [SUITE_AES256_HKDF_SHA512_COMMIT_KEY, SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384]) {
    it(`suite 0x${suiteId.toString(16).padStart(4, '0')}`, async () => {
      const suite = findSuite(suiteId)!;
      const theirSuite = new NodeAlgorithmSuite(suiteId);
      for (const partition of ['', 'my-app', 'ünïcode partition']) {
        const digest = partitionDigest(partition);
        for (const encryptionContext of CONTEXTS) {
          expect(encryptionCacheId(digest, suite, encryptionContext)).toBe(
            await official.buildEncryptionMaterialCacheKey(partition, { suite: theirSuite, encryptionContext }),
          );
          for (const edks of [EDKS, [...EDKS].reverse(), EDKS.slice(0, 1)]) {
            const ours = edks.map((edk) => ({ providerId: edk.providerId, providerInfo: new TextEncoder().encode(edk.providerInfo), ciphertext: edk.ciphertext }));
            const theirs = edks.map(
              (edk) => new EncryptedDataKey({ providerId: edk.providerId, providerInfo: edk.providerInfo, encryptedDataKey: edk.ciphertext }),
            );
            expect(decryptionCacheId(digest, suite, ours, encryptionContext)).toBe(
              await official.buildDecryptionMaterialCacheKey(partition, { suite: theirSuite, encryptedDataKeys: theirs, encryptionContext }),
            );
          }
        }
      }
    });
  }
});
