// The official AWS Encryption SDK for browsers (@aws-crypto/client-browser 4.2.2, installed in
// this folder only) behind the adapter sdk-cases.mjs expects. Kept here so its imports resolve in
// this folder's node_modules, never in the root tree's (@aws-crypto/client-node's packages).
// Bundled into the benchmark page by ../browser.mjs, with `buffer` as the Buffer global.
import {
  AlgorithmSuiteIdentifier,
  CommitmentPolicy,
  RawAesKeyringWebCrypto,
  RawAesWrappingSuiteIdentifier,
  WebCryptoCachingMaterialsManager,
  buildClient,
  getLocalCryptographicMaterialsCache,
} from '@aws-crypto/client-browser';

export function officialBrowser({ context, wrappingKeyBytes }) {
  const client = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const suiteId = (suite) =>
    suite === 0x0578
      ? AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384
      : AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY;
  const wrappingSuite = RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING;
  return {
    name: '@aws-crypto/client-browser 4.2.2',
    // No streaming API in the browser SDK: its buffer API is what a page would use.
    streams: false,
    rawAesKeyring: async () =>
      new RawAesKeyringWebCrypto({
        keyNamespace: 'bench',
        keyName: 'bench-key',
        wrappingSuite,
        masterKey: await RawAesKeyringWebCrypto.importCryptoKey(wrappingKeyBytes(), wrappingSuite),
        utf8Sorting: true,
      }),
    cachingManager: async (keyring) =>
      new WebCryptoCachingMaterialsManager({
        backingMaterials: keyring,
        cache: getLocalCryptographicMaterialsCache(100),
        maxAge: 10 * 60_000,
        maxMessagesEncrypted: 2 ** 32,
        maxBytesEncrypted: Number.MAX_SAFE_INTEGER,
      }),
    buffer: (km, { frameLength, suite } = {}) => ({
      encrypt: async (data) => (await client.encrypt(km, data, { encryptionContext: context, suiteId: suiteId(suite), ...(frameLength ? { frameLength } : {}) })).result,
      decrypt: async (message) => (await client.decrypt(km, message)).plaintext,
    }),
  };
}
