// The official AWS Encryption SDK for Node (@aws-crypto/client-node) behind the adapter that
// sdk-cases.mjs expects: a raw AES keyring with the bench's key, its caching materials manager,
// and encrypt/decrypt for its buffer and stream APIs. Node only.
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CONTEXT, STREAM_CHUNK, wrappingKeyBytes } from './sdk-cases.mjs';

export async function officialNode() {
  const official = await import('@aws-crypto/client-node');
  const client = official.buildClient(official.CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const suiteId = (suite) =>
    suite === 0x0578
      ? official.AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384
      : official.AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY;
  const drain = async (duplex, data, keep) => {
    let total = 0;
    const parts = [];
    await pipeline(
      Readable.from(
        (function* chunks() {
          for (let offset = 0; offset < data.byteLength; offset += STREAM_CHUNK) {
            yield Buffer.from(data.buffer, data.byteOffset + offset, Math.min(STREAM_CHUNK, data.byteLength - offset));
          }
        })(),
        { objectMode: false },
      ),
      duplex,
      new Writable({
        write(chunk, _encoding, callback) {
          total += chunk.byteLength;
          if (keep) parts.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          callback();
        },
      }),
    );
    return keep ? new Uint8Array(Buffer.concat(parts)) : total;
  };
  return {
    name: '@aws-crypto/client-node 5.0.2',
    streams: true,
    rawAesKeyring: async () =>
      new official.RawAesKeyringNode({
        keyNamespace: 'bench',
        keyName: 'bench-key',
        unencryptedMasterKey: wrappingKeyBytes(),
        wrappingSuite: official.RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
        utf8Sorting: true,
      }),
    cachingManager: async (keyring) =>
      new official.NodeCachingMaterialsManager({
        backingMaterials: keyring,
        cache: official.getLocalCryptographicMaterialsCache(100),
        maxAge: 10 * 60_000,
        maxMessagesEncrypted: 2 ** 32,
        maxBytesEncrypted: Number.MAX_SAFE_INTEGER,
      }),
    buffer: (km, { frameLength, suite } = {}) => ({
      encrypt: async (data) =>
        (await client.encrypt(km, data, { encryptionContext: CONTEXT, suiteId: suiteId(suite), ...(frameLength ? { frameLength } : {}) })).result,
      decrypt: async (message) => (await client.decrypt(km, message)).plaintext,
    }),
    stream: (km, { frameLength, suite } = {}) => ({
      encrypt: (data, keep) => drain(client.encryptStream(km, { encryptionContext: CONTEXT, suiteId: suiteId(suite), frameLength }), data, keep),
      decrypt: (message, keep) => drain(suite === 0x0578 ? client.decryptStream(km) : client.decryptUnsignedMessageStream(km), message, keep),
    }),
  };
}
