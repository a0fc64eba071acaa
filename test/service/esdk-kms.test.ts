import { AlgorithmSuiteIdentifier, buildClient, CommitmentPolicy, KmsKeyringNode } from '@aws-crypto/client-node';
import { CreateKeyCommand, KMS, KMSClient } from '@aws-sdk/client-kms';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createClient,
  decrypt,
  EdgeKmsKeyring,
  encrypt,
  SUITE_AES256_HKDF_SHA512_COMMIT_KEY,
  SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
} from '../../sdk/index';
import { SERVICE_ADMIN_TOKEN } from '../setup/service';

/**
 * The official AWS Encryption SDK's KMS keyring, given an AWS SDK KMS client
 * whose endpoint is the local EdgeKMS Worker, and this SDK's EdgeKMS keyring
 * over the native protocol: messages written by either decrypt with the other.
 */
const endpoint = inject('serviceUrl');
const keys = inject('accessKeys');
const credentials = { accessKeyId: keys.admin.accessKeyId, secretAccessKey: keys.admin.secretAccessKey };
const official = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
const clientProvider = () => new KMS({ endpoint, region: 'us-east-1', credentials });
const ours = createClient({ endpoint, getToken: () => SERVICE_ADMIN_TOKEN });

const SUITES = [
  ['0x0478', SUITE_AES256_HKDF_SHA512_COMMIT_KEY, AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY],
  ['0x0578', SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384, AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384],
] as const;

describe('AWS Encryption SDK KMS keyring through the EdgeKMS endpoint', () => {
  let keyArn: string;
  beforeAll(async () => {
    const kms = new KMSClient({ endpoint, region: 'us-east-1', credentials });
    keyArn = (await kms.send(new CreateKeyCommand({ Description: 'esdk interop' }))).KeyMetadata!.Arn!;
  });

  const plaintext = new TextEncoder().encode('interop across two implementations, '.repeat(300));
  const context = { tenant: 'acme', purpose: 'interop' };

  it.each(SUITES)('the official SDK decrypts what this SDK wrote (%s)', async (_label, suite) => {
    const { ciphertext } = await encrypt(new EdgeKmsKeyring({ client: ours, generatorKeyId: keyArn }), plaintext, {
      encryptionContext: context,
      suite,
      frameLength: 4096,
    });
    const keyring = new KmsKeyringNode({ keyIds: [keyArn], clientProvider });
    const { plaintext: clear, messageHeader } = await official.decrypt(keyring, ciphertext);
    expect(new Uint8Array(clear)).toEqual(plaintext);
    expect(messageHeader.encryptionContext).toMatchObject(context);
    expect(messageHeader.encryptedDataKeys[0]!.providerId).toBe('aws-kms');
  });

  it.each(SUITES)('this SDK decrypts what the official SDK wrote (%s)', async (_label, _suite, suiteId) => {
    const keyring = new KmsKeyringNode({ generatorKeyId: keyArn, clientProvider });
    const { result } = await official.encrypt(keyring, plaintext, { encryptionContext: context, suiteId, frameLength: 4096 });
    const decrypted = await decrypt(new EdgeKmsKeyring({ client: ours, keyIds: [keyArn] }), result, { expectedContext: context });
    expect(decrypted.plaintext).toEqual(plaintext);
  });

  it('a message for another key is not decryptable by a keyring that does not name it', async () => {
    const { ciphertext } = await encrypt(new EdgeKmsKeyring({ client: ours, generatorKeyId: keyArn }), plaintext, { encryptionContext: context });
    const otherArn = keyArn.replace(/key\/.*/, 'key/00000000-0000-4000-8000-000000000000');
    await expect(official.decrypt(new KmsKeyringNode({ keyIds: [otherArn], clientProvider }), ciphertext)).rejects.toThrow();
  });
});

describe('AWS Encryption SDK KMS keyring with a key of another region', () => {
  // The keyring builds its KMS client for the region of each key ARN, as it does against AWS.
  const regionalProvider = (region: string) => new KMS({ endpoint, region, credentials });
  let keyArn: string;
  beforeAll(async () => {
    const kms = new KMSClient({ endpoint, region: 'eu-west-1', credentials });
    keyArn = (await kms.send(new CreateKeyCommand({ Description: 'esdk interop, eu-west-1' }))).KeyMetadata!.Arn!;
  });
  const plaintext = new TextEncoder().encode('a message under a key of eu-west-1');
  const context = { region: 'eu-west-1' };

  it('the official SDK writes with a client of the ARN region, this SDK (native protocol) reads it by the ARN', async () => {
    expect(keyArn).toMatch(/^arn:aws:kms:eu-west-1:/);
    const { result } = await official.encrypt(new KmsKeyringNode({ generatorKeyId: keyArn, clientProvider: regionalProvider }), plaintext, {
      encryptionContext: context,
    });
    const decrypted = await decrypt(new EdgeKmsKeyring({ client: ours, keyIds: [keyArn] }), result, { expectedContext: context });
    expect(decrypted.plaintext).toEqual(plaintext);
  });

  it('this SDK writes by the ARN, the official SDK reads with a client of the ARN region', async () => {
    const { ciphertext } = await encrypt(new EdgeKmsKeyring({ client: ours, generatorKeyId: keyArn }), plaintext, { encryptionContext: context });
    const { plaintext: clear } = await official.decrypt(new KmsKeyringNode({ keyIds: [keyArn], clientProvider: regionalProvider }), ciphertext);
    expect(new Uint8Array(clear)).toEqual(plaintext);
    // A client of another region cannot reach the key: the ARN names eu-west-1.
    await expect(official.decrypt(new KmsKeyringNode({ keyIds: [keyArn], clientProvider }), ciphertext)).rejects.toThrow();
  });
});

describe('recipient-wrapped data keys and the official KMS keyring (issue 18)', () => {
  const ACCOUNT = '111122223333';
  const admin = { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' };
  const appUser = (condition?: object) => ({
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/${keys.app.user}` },
    Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
    Resource: '*',
    ...(condition && { Condition: condition }),
  });
  const appCredentials = { accessKeyId: keys.app.accessKeyId, secretAccessKey: keys.app.secretAccessKey };
  const appProvider = () => new KMS({ endpoint, region: 'us-east-1', credentials: appCredentials, maxAttempts: 1 });
  const keyWithPolicy = async (...Statement: object[]) => {
    const kms = new KMSClient({ endpoint, region: 'us-east-1', credentials });
    const created = await kms.send(new CreateKeyCommand({ Policy: JSON.stringify({ Version: '2012-10-17', Statement }) }));
    return created.KeyMetadata!.Arn!;
  };
  const plaintext = new TextEncoder().encode('a message under a key both keyrings may use');

  it('this SDK names its recipient in Node by default; the official keyring keeps working with a key that does not require one', async () => {
    const keyArn = await keyWithPolicy(admin, appUser());
    const bodies: string[] = [];
    const recording = createClient({
      endpoint,
      getToken: () => SERVICE_ADMIN_TOKEN,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        bodies.push(await response.clone().text());
        return response;
      },
    });
    const keyring = new EdgeKmsKeyring({ client: recording, generatorKeyId: keyArn });
    expect(keyring.usesRecipient).toBe(true);
    const { ciphertext } = await encrypt(keyring, plaintext);
    expect(bodies).toHaveLength(1);
    expect(JSON.parse(bodies[0]!)).not.toHaveProperty('Plaintext');
    expect(JSON.parse(bodies[0]!)).toHaveProperty('CiphertextForRecipient');
    // The official SDK, which sends no Recipient, reads and writes under the same key.
    const official = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
    const { plaintext: clear } = await official.decrypt(new KmsKeyringNode({ keyIds: [keyArn], clientProvider: appProvider }), ciphertext);
    expect(new Uint8Array(clear)).toEqual(plaintext);
    const { result } = await official.encrypt(new KmsKeyringNode({ generatorKeyId: keyArn, clientProvider: appProvider }), plaintext);
    expect((await decrypt(keyring, result)).plaintext).toEqual(plaintext);
  });

  it('a key that requires a recipient refuses the official keyring, which can ask only for a Plaintext', async () => {
    const keyArn = await keyWithPolicy(admin, appUser({ Bool: { 'edgekms:RecipientRequired': 'true' } }));
    const official = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
    await expect(official.encrypt(new KmsKeyringNode({ generatorKeyId: keyArn, clientProvider: appProvider }), plaintext)).rejects.toThrow(/not authorized|AccessDenied/);
    // A message this SDK wrote under the key does not decrypt through the official keyring either.
    const { ciphertext } = await encrypt(new EdgeKmsKeyring({ client: ours, generatorKeyId: keyArn }), plaintext);
    await expect(official.decrypt(new KmsKeyringNode({ keyIds: [keyArn], clientProvider: appProvider }), ciphertext)).rejects.toThrow();
  });
});
