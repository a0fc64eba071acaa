/**
 * What the service stores of an external key store: a Worker of its own,
 * persisting its Durable Objects to a directory, is driven through a whole
 * external key store flow against the loopback XKS proxy; then every byte it
 * persisted is searched. The external key's AES-256 material lives only in the
 * proxy and must appear nowhere (raw, base64, hex); the proxy credential's
 * secret is stored sealed, so it must not appear either. The store's name and
 * the external key's id must appear: the search does read the stored state.
 */
import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
} from '@aws-sdk/client-kms';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kmsClient } from './kms-client';
import { filesContaining, persistedFiles } from '../e2e/stored-bytes';
import { accessKeysBinding } from '../setup/access-keys';
import { startTestWorker } from '../setup/start-worker';
import { startXksProxy, type ExternalKey, type XksProxy } from '../setup/xks-proxy';

const keys = inject('accessKeys');
const encoder = new TextEncoder();

describe('a storage dump of the service holds no external key material', () => {
  let dir: string;
  let proxy: XksProxy;
  let external: ExternalKey;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgekms-xks-'));
    proxy = await startXksProxy({ region: 'us-east-1' });
    external = proxy.addKey('stored-bytes-key');
    const worker = await startTestWorker(
      {
        MASTER_KEY: 'eGtzLXN0b3JhZ2UtdGVzdC1tYXN0ZXIta2V5LW5vdC1mb3ItcHJvZHVjdGlvbiE=',
        AWS_ACCESS_KEYS: accessKeysBinding(keys),
        THROTTLE_RATE: '100000',
      },
      dir,
    );
    try {
      const kms = kmsClient(keys.admin, { endpoint: worker.url });
      const { CustomKeyStoreId } = await kms.send(
        new CreateCustomKeyStoreCommand({
          CustomKeyStoreName: 'stored-bytes-store',
          CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
          XksProxyConnectivity: 'PUBLIC_ENDPOINT',
          XksProxyUriEndpoint: proxy.endpoint,
          XksProxyUriPath: proxy.uriPath,
          XksProxyAuthenticationCredential: { AccessKeyId: proxy.credential.accessKeyId, RawSecretAccessKey: proxy.credential.secretAccessKey },
        }),
      );
      await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId }));
      const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId, XksKeyId: 'stored-bytes-key' }));
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: encoder.encode('stored bytes') }));
      await kms.send(new DecryptCommand({ CiphertextBlob }));
      await kms.send(new GenerateDataKeyCommand({ KeyId: KeyMetadata!.KeyId, KeySpec: 'AES_256' }));
    } finally {
      await worker.dispose();
    }
  });

  afterAll(async () => {
    await proxy.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('finds the store and the external key id, but neither the external key material nor the proxy secret', () => {
    const files = persistedFiles(dir);
    expect(filesContaining(files, encoder.encode('stored-bytes-store')).length).toBeGreaterThan(0);
    expect(filesContaining(files, encoder.encode('stored-bytes-key')).length).toBeGreaterThan(0);

    const material = external.material;
    for (const form of [material, encoder.encode(material.toString('base64')), encoder.encode(material.toString('hex')), material.subarray(0, 16), material.subarray(16)]) {
      expect(filesContaining(files, form)).toEqual([]);
    }
    expect(filesContaining(files, encoder.encode(proxy.credential.secretAccessKey))).toEqual([]);
  });
});
