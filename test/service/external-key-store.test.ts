/**
 * External key stores (issue 16, acceptance 3), end to end: the real Worker
 * (workerd, its Durable Objects) calls a loopback XKS proxy that this file
 * runs (test/setup/xks-proxy.ts: SigV4-verified, AES-256 keys in memory), and
 * the official AWS SDK drives the service. What is asserted is AWS's
 * documented behaviour: operation results, error names and the proxy calls
 * the XKS Proxy API specification describes.
 */
import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  DescribeKeyCommand,
  DisconnectCustomKeyStoreCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  ReEncryptCommand,
  ScheduleKeyDeletionCommand,
  UpdateCustomKeyStoreCommand,
} from '@aws-sdk/client-kms';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kmsClient } from './kms-client';
import { randomCredential, startXksProxy, type XksProxy } from '../setup/xks-proxy';

const keys = inject('accessKeys');
const kms = kmsClient(keys.admin);
const text = (value: string) => new TextEncoder().encode(value);
const unique = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

/** The name of the error a promise rejects with (the SDK's exception class name). */
async function errorOf(promise: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
  throw new Error('expected the request to fail');
}

/** A loopback port nothing listens on: the endpoint of a proxy that is not there. */
async function deadEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

async function storeState(id: string) {
  const { CustomKeyStores } = await kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: id }));
  return CustomKeyStores![0]!;
}

describe('external key stores backed by a loopback XKS proxy', () => {
  let proxy: XksProxy;
  let storeId: string;
  let keyId: string;
  const storeName = `xks-${unique()}`;

  beforeAll(async () => {
    proxy = await startXksProxy({ region: 'us-east-1', uriPath: `/p-${unique()}/kms/xks/v1` });
    proxy.addKey('xks-key-1');
    proxy.addKey('xks-key-2');
    proxy.addKey('xks-disabled', { status: 'DISABLED' });
    proxy.addKey('xks-sign-only', { usage: ['SIGN', 'VERIFY'] });
  });
  afterAll(() => proxy.close());

  const storeInput = (overrides: Partial<ConstructorParameters<typeof CreateCustomKeyStoreCommand>[0]> = {}) => ({
    CustomKeyStoreName: storeName,
    CustomKeyStoreType: 'EXTERNAL_KEY_STORE' as const,
    XksProxyConnectivity: 'PUBLIC_ENDPOINT' as const,
    XksProxyUriEndpoint: proxy.endpoint,
    XksProxyUriPath: proxy.uriPath,
    XksProxyAuthenticationCredential: { AccessKeyId: proxy.credential.accessKeyId, RawSecretAccessKey: proxy.credential.secretAccessKey },
    ...overrides,
  });

  it('answers a CloudHSM key store (type AWS_CLOUDHSM or absent) with UnsupportedOperationException and the reason', async () => {
    for (const type of [undefined, 'AWS_CLOUDHSM' as const]) {
      const error = await errorOf(
        kms.send(new CreateCustomKeyStoreCommand({ CustomKeyStoreName: `hsm-${unique()}`, CustomKeyStoreType: type, CloudHsmClusterId: 'cluster-234abcdefgh', KeyStorePassword: 'password1', TrustAnchorCertificate: 'x' })),
      );
      expect(error.name).toBe('UnsupportedOperationException');
      expect(error.message).toMatch(/CloudHSM/);
    }
  });

  it('lets only principals whose identity policies allow it manage key stores (AccessDeniedException)', async () => {
    const app = kmsClient(keys.app);
    expect((await errorOf(app.send(new CreateCustomKeyStoreCommand(storeInput({ CustomKeyStoreName: `denied-${unique()}` }))))).name).toBe('AccessDeniedException');
    expect((await errorOf(app.send(new DescribeCustomKeyStoresCommand({})))).name).toBe('AccessDeniedException');
  });

  it('validates the proxy URI and credential as AWS does', async () => {
    expect((await errorOf(kms.send(new CreateCustomKeyStoreCommand(storeInput({ XksProxyUriEndpoint: 'http://proxy.example.com' }))))).name).toBe('ValidationException');
    expect((await errorOf(kms.send(new CreateCustomKeyStoreCommand(storeInput({ XksProxyUriPath: '/kms/xks/v1/extra' }))))).name).toBe('ValidationException');
    const shortSecret = await errorOf(
      kms.send(new CreateCustomKeyStoreCommand(storeInput({ XksProxyAuthenticationCredential: { AccessKeyId: proxy.credential.accessKeyId, RawSecretAccessKey: 'too-short-secret-value' } }))),
    );
    expect(shortSecret.name).toBe('ValidationException');
    // The secret is never repeated back, even when it is the value refused.
    expect(shortSecret.message).not.toContain('too-short-secret-value');
    expect((await errorOf(kms.send(new CreateCustomKeyStoreCommand(storeInput({ XksProxyConnectivity: 'VPC_ENDPOINT_SERVICE' }))))).name).toBe('UnsupportedOperationException');
  });

  it('refuses a store whose proxy does not accept the credential (XksProxyIncorrectAuthenticationCredentialException)', async () => {
    const wrong = randomCredential();
    const error = await errorOf(
      kms.send(new CreateCustomKeyStoreCommand(storeInput({ XksProxyAuthenticationCredential: { AccessKeyId: proxy.credential.accessKeyId, RawSecretAccessKey: wrong.secretAccessKey } }))),
    );
    expect(error.name).toBe('XksProxyIncorrectAuthenticationCredentialException');
  });

  it('refuses a store whose proxy cannot be reached (XksProxyUriUnreachableException)', async () => {
    const error = await errorOf(kms.send(new CreateCustomKeyStoreCommand(storeInput({ XksProxyUriEndpoint: await deadEndpoint() }))));
    expect(error.name).toBe('XksProxyUriUnreachableException');
  });

  it('creates a store after the proxy answered GetHealthStatus, and describes it without its secret', async () => {
    const healthChecks = proxy.seen.filter((seen) => seen.api === 'health').length;
    const { CustomKeyStoreId } = await kms.send(new CreateCustomKeyStoreCommand(storeInput()));
    storeId = CustomKeyStoreId!;
    expect(storeId).toMatch(/^cks-[0-9a-f]{17}$/);
    const health = proxy.seen.filter((seen) => seen.api === 'health');
    expect(health.length).toBe(healthChecks + 1);
    expect(health.at(-1)!.requestMetadata.kmsOperation).toBe('CreateCustomKeyStore');

    const described = await kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreName: storeName }));
    expect(described.CustomKeyStores).toHaveLength(1);
    const store = described.CustomKeyStores![0]!;
    expect(store).toMatchObject({
      CustomKeyStoreId: storeId,
      CustomKeyStoreName: storeName,
      CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
      ConnectionState: 'DISCONNECTED',
      XksProxyConfiguration: { Connectivity: 'PUBLIC_ENDPOINT', AccessKeyId: proxy.credential.accessKeyId, UriEndpoint: proxy.endpoint, UriPath: proxy.uriPath },
    });
    expect(store.ConnectionErrorCode).toBeUndefined();
    expect(JSON.stringify(described)).not.toContain(proxy.credential.secretAccessKey);

    expect((await errorOf(kms.send(new CreateCustomKeyStoreCommand(storeInput())))).name).toBe('CustomKeyStoreNameInUseException');
    expect((await errorOf(kms.send(new CreateCustomKeyStoreCommand(storeInput({ CustomKeyStoreName: `${storeName}-2` }))))).name).toBe('XksProxyUriInUseException');
    expect((await errorOf(kms.send(new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: 'cks-0000000000000000f' })))).name).toBe('CustomKeyStoreNotFoundException');
  });

  it('refuses CreateKey in a store that is not connected (CustomKeyStoreInvalidStateException)', async () => {
    const error = await errorOf(kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: storeId, XksKeyId: 'xks-key-1' })));
    expect(error.name).toBe('CustomKeyStoreInvalidStateException');
  });

  it('connects: ConnectCustomKeyStore calls GetHealthStatus and the store is CONNECTED', async () => {
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    expect((await storeState(storeId)).ConnectionState).toBe('CONNECTED');
    expect(proxy.seen.filter((seen) => seen.api === 'health').at(-1)!.requestMetadata.kmsOperation).toBe('ConnectCustomKeyStore');
  });

  it('checks the external key with GetKeyMetadata before CreateKey', async () => {
    const create = (XksKeyId: string) => kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: storeId, XksKeyId }));
    expect((await errorOf(create('no-such-key'))).name).toBe('XksKeyNotFoundException');
    expect((await errorOf(create('xks-disabled'))).name).toBe('XksKeyInvalidConfigurationException');
    expect((await errorOf(create('xks-sign-only'))).name).toBe('XksKeyInvalidConfigurationException');
    expect((await errorOf(kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', XksKeyId: 'xks-key-1' })))).name).toBe('ValidationException');
    // A path step, not a key id: it would name another URL of the proxy.
    expect((await errorOf(create('..'))).name).toBe('ValidationException');
    expect((await errorOf(kms.send(new CreateKeyCommand({ XksKeyId: 'xks-key-1' })))).name).toBe('ValidationException');
    expect((await errorOf(kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: storeId, XksKeyId: 'xks-key-1', KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' })))).name).toBe('UnsupportedOperationException');
    expect((await errorOf(kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: 'cks-0000000000000000f', XksKeyId: 'xks-key-1' })))).name).toBe('CustomKeyStoreNotFoundException');
  });

  it('creates a key with Origin EXTERNAL_KEY_STORE; DescribeKey shows its store and external key', async () => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: storeId, XksKeyId: 'xks-key-1', Description: 'external' }));
    keyId = KeyMetadata!.KeyId!;
    const metadata = proxy.seen.filter((seen) => seen.api === 'metadata').at(-1)!;
    expect(metadata).toMatchObject({ keyId: 'xks-key-1', requestMetadata: { kmsOperation: 'CreateKey', awsPrincipalArn: `arn:aws:iam::111122223333:user/${keys.admin.user}` } });
    const described = (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
    expect(described).toMatchObject({
      Origin: 'EXTERNAL_KEY_STORE',
      CustomKeyStoreId: storeId,
      XksKeyConfiguration: { Id: 'xks-key-1' },
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeyState: 'Enabled',
    });
    // One KMS key per external key in a store.
    const again = await errorOf(kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: storeId, XksKeyId: 'xks-key-1' })));
    expect(again.name).toBe('XksKeyAlreadyInUseException');
    // The external key's material is managed in the external key manager.
    expect((await errorOf(kms.send(new EnableKeyRotationCommand({ KeyId: keyId })))).name).toBe('UnsupportedOperationException');
  });

  it('round-trips Encrypt and Decrypt through both layers, with the request metadata the proxy API names', async () => {
    const context = { purpose: 'xks-test' };
    const before = proxy.seen.length;
    const { CiphertextBlob, KeyId } = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: text('hello external key'), EncryptionContext: context }));
    expect(KeyId).toContain(keyId);
    const encryptCall = proxy.seen.slice(before).find((seen) => seen.api === 'encrypt')!;
    expect(encryptCall).toMatchObject({
      keyId: 'xks-key-1',
      requestMetadata: { kmsOperation: 'Encrypt', kmsKeyArn: `arn:aws:kms:us-east-1:111122223333:key/${keyId}`, awsPrincipalArn: `arn:aws:iam::111122223333:user/${keys.admin.user}` },
    });
    expect(encryptCall.requestMetadata.kmsRequestId).toMatch(/\S/);
    expect(encryptCall.additionalAuthenticatedData).toBeDefined();

    const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context }));
    expect(new TextDecoder().decode(decrypted.Plaintext)).toBe('hello external key');
    expect(decrypted.KeyId).toContain(keyId);
    expect(proxy.seen.at(-1)).toMatchObject({ api: 'decrypt', requestMetadata: { kmsOperation: 'Decrypt' } });

    // The inner layer still binds the encryption context.
    expect((await errorOf(kms.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { purpose: 'other' } })))).name).toBe('InvalidCiphertextException');
  });

  it('wraps data keys (GenerateDataKey, WithoutPlaintext) and re-encrypts to and from an AWS_KMS key', async () => {
    const dataKey = await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' }));
    expect(proxy.seen.at(-1)).toMatchObject({ api: 'encrypt', requestMetadata: { kmsOperation: 'GenerateDataKey' } });
    const unwrapped = await kms.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob }));
    expect(Buffer.from(unwrapped.Plaintext!).equals(Buffer.from(dataKey.Plaintext!))).toBe(true);

    const withoutPlaintext = await kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: keyId, NumberOfBytes: 64 }));
    expect((await kms.send(new DecryptCommand({ CiphertextBlob: withoutPlaintext.CiphertextBlob }))).Plaintext).toHaveLength(64);

    const ownKey = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    const toOwn = await kms.send(new ReEncryptCommand({ CiphertextBlob: dataKey.CiphertextBlob, DestinationKeyId: ownKey }));
    expect(proxy.seen.at(-1)).toMatchObject({ api: 'decrypt', requestMetadata: { kmsOperation: 'ReEncrypt' } });
    const back = await kms.send(new ReEncryptCommand({ CiphertextBlob: toOwn.CiphertextBlob, DestinationKeyId: keyId }));
    expect(proxy.seen.at(-1)).toMatchObject({ api: 'encrypt', requestMetadata: { kmsOperation: 'ReEncrypt' } });
    const final = await kms.send(new DecryptCommand({ CiphertextBlob: back.CiphertextBlob }));
    expect(Buffer.from(final.Plaintext!).equals(Buffer.from(dataKey.Plaintext!))).toBe(true);
  });

  it('needs the external key to decrypt: a blob sealed under another external key does not open', async () => {
    const other = (await kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL_KEY_STORE', CustomKeyStoreId: storeId, XksKeyId: 'xks-key-2' }))).KeyMetadata!.KeyId!;
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: other, Plaintext: text('second') }));
    // Replace the outer layer's key: the proxy re-keys xks-key-2, as an external key manager could; the service alone cannot decrypt.
    proxy.addKey('xks-key-2');
    const error = await errorOf(kms.send(new DecryptCommand({ CiphertextBlob })));
    expect(error.name).toBe('KMSInvalidStateException');
    expect(error.message).toMatch(/external key store proxy rejected the request because the specified ciphertext/);
  });

  it('answers KMSInvalidStateException when the proxy fails (500), answers garbage or is down, with AWS messages', async () => {
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: text('kept') }));
    proxy.setMode('failing');
    try {
      const failing = await errorOf(kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: text('x') })));
      expect(failing.name).toBe('KMSInvalidStateException');
      expect(failing.message).toMatch(/cannot communicate with the external key manager/);
      proxy.setMode('garbage');
      const garbage = await errorOf(kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' })));
      expect(garbage.name).toBe('KMSInvalidStateException');
      expect(garbage.message).toMatch(/cannot interpret the response from the external key store proxy/);
      proxy.setMode('down');
      const down = await errorOf(kms.send(new DecryptCommand({ CiphertextBlob })));
      expect(down.name).toBe('KMSInvalidStateException');
      expect(down.message).toMatch(/cannot communicate with the external key store proxy/);
    } finally {
      proxy.setMode('up');
    }
    expect(new TextDecoder().decode((await kms.send(new DecryptCommand({ CiphertextBlob }))).Plaintext)).toBe('kept');
  });

  it('refuses cryptography on a disconnected store; a connect to a dead proxy FAILS with XKS_PROXY_NOT_REACHABLE', async () => {
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: text('while connected') }));
    await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    expect((await storeState(storeId)).ConnectionState).toBe('DISCONNECTED');
    const calls = proxy.seen.length;
    const refused = await errorOf(kms.send(new DecryptCommand({ CiphertextBlob })));
    expect(refused.name).toBe('KMSInvalidStateException');
    expect(refused.message).toMatch(/not connected/);
    expect(proxy.seen.length).toBe(calls);

    proxy.setMode('down');
    try {
      await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
      const failed = await storeState(storeId);
      expect(failed.ConnectionState).toBe('FAILED');
      expect(failed.ConnectionErrorCode).toBe('XKS_PROXY_NOT_REACHABLE');
      // A FAILED store is disconnected before it connects again.
      expect((await errorOf(kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId })))).name).toBe('CustomKeyStoreInvalidStateException');
    } finally {
      proxy.setMode('up');
    }
    await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    await kms.send(new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    expect((await storeState(storeId)).ConnectionState).toBe('CONNECTED');
    expect(new TextDecoder().decode((await kms.send(new DecryptCommand({ CiphertextBlob }))).Plaintext)).toBe('while connected');
  });

  it('updates a store: the endpoint only while disconnected, a new credential only if the proxy accepts it', async () => {
    expect((await errorOf(kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: storeId, XksProxyUriEndpoint: await deadEndpoint() })))).name).toBe('CustomKeyStoreInvalidStateException');
    const wrong = randomCredential();
    const refused = await errorOf(
      kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: storeId, XksProxyAuthenticationCredential: { AccessKeyId: wrong.accessKeyId, RawSecretAccessKey: wrong.secretAccessKey } })),
    );
    expect(refused.name).toBe('XksProxyIncorrectAuthenticationCredentialException');
    await kms.send(new UpdateCustomKeyStoreCommand({ CustomKeyStoreId: storeId, NewCustomKeyStoreName: `${storeName}-renamed` }));
    expect((await storeState(storeId)).CustomKeyStoreName).toBe(`${storeName}-renamed`);
    // The refused credential was not saved: the store still reaches its proxy.
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: text('after update') }));
    expect(new TextDecoder().decode((await kms.send(new DecryptCommand({ CiphertextBlob }))).Plaintext)).toBe('after update');
  });

  it('deletes a store only when it is disconnected and holds no keys', async () => {
    expect((await errorOf(kms.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: storeId })))).name).toBe('CustomKeyStoreInvalidStateException');
    await kms.send(new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: storeId }));
    expect((await errorOf(kms.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: storeId })))).name).toBe('CustomKeyStoreHasCMKsException');
    // A key scheduled for deletion still holds its store until it is deleted, as in AWS KMS.
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    expect((await errorOf(kms.send(new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: storeId })))).name).toBe('CustomKeyStoreHasCMKsException');
  });
});
