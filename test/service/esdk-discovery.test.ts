import { AlgorithmSuiteIdentifier, buildClient, CommitmentPolicy, KmsKeyringNode } from '@aws-crypto/client-node';
import { CreateKeyCommand, KMS, KMSClient } from '@aws-sdk/client-kms';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createClient, decrypt, EdgeKmsKeyring, encrypt, type EdgeKmsKeyringClient } from '../../sdk/index';
import { SERVICE_ADMIN_TOKEN } from '../setup/service';

/**
 * Discovery keyrings with a discovery filter (accounts, partition), this SDK's EdgeKmsKeyring and
 * the official KmsKeyringNode, against the local EdgeKMS Worker: each decrypts the other's messages
 * when the filter names the key's account and partition, for both suites, and refuses them when it
 * names another account or partition; this SDK's keyring then sends no Decrypt request at all.
 */
const endpoint = inject('serviceUrl');
const keys = inject('accessKeys');
const credentials = { accessKeyId: keys.admin.accessKeyId, secretAccessKey: keys.admin.secretAccessKey };
const official = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
const clientProvider = () => new KMS({ endpoint, region: 'us-east-1', credentials });
const ours = createClient({ endpoint, getToken: () => SERVICE_ADMIN_TOKEN });

const SUITES = [
  ['0x0478', 0x0478, AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY],
  ['0x0578', 0x0578, AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384],
] as const;

/** The client, counting the Decrypt requests the keyring makes. */
function countingClient(): { client: EdgeKmsKeyringClient; decrypts: () => number } {
  let decrypts = 0;
  return {
    client: { generateDataKey: ours.generateDataKey, encrypt: ours.encrypt, decrypt: (input, options) => (decrypts++, ours.decrypt(input, options)) },
    decrypts: () => decrypts,
  };
}

describe('discovery keyrings with a discovery filter', () => {
  let keyArn: string;
  let account: string;
  let partition: string;
  beforeAll(async () => {
    const kms = new KMSClient({ endpoint, region: 'us-east-1', credentials });
    keyArn = (await kms.send(new CreateKeyCommand({ Description: 'discovery filter interop' }))).KeyMetadata!.Arn!;
    [, partition, , , account] = keyArn.split(':') as [string, string, string, string, string];
  });

  const plaintext = new TextEncoder().encode('found by discovery, '.repeat(100));
  const context = { tenant: 'acme' };

  it.each(SUITES)('the official discovery keyring reads this SDK’s message when its filter allows it (%s)', async (_label, suite) => {
    const { ciphertext } = await encrypt(new EdgeKmsKeyring({ client: ours, generatorKeyId: keyArn }), plaintext, { suite, encryptionContext: context });
    const allowed = new KmsKeyringNode({ discovery: true, discoveryFilter: { accountIDs: [account], partition }, clientProvider });
    expect(new Uint8Array((await official.decrypt(allowed, ciphertext)).plaintext)).toEqual(plaintext);
    const otherAccount = new KmsKeyringNode({ discovery: true, discoveryFilter: { accountIDs: ['000011112222'], partition }, clientProvider });
    await expect(official.decrypt(otherAccount, ciphertext)).rejects.toThrow();
  });

  it.each(SUITES)('this SDK’s discovery keyring reads the official SDK’s message when its filter allows it (%s)', async (_label, _suite, suiteId) => {
    const { result } = await official.encrypt(new KmsKeyringNode({ generatorKeyId: keyArn, clientProvider }), plaintext, { suiteId, encryptionContext: context });
    const allowed = countingClient();
    const keyring = new EdgeKmsKeyring({ client: allowed.client, discovery: true, discoveryFilter: { accountIds: [account], partition } });
    expect((await decrypt(keyring, result, { expectedContext: context })).plaintext).toEqual(plaintext);
    expect(allowed.decrypts()).toBe(1);
    for (const discoveryFilter of [{ accountIds: ['000011112222'], partition }, { accountIds: [account], partition: 'aws-cn' }]) {
      const refused = countingClient();
      const filtered = new EdgeKmsKeyring({ client: refused.client, discovery: true, discoveryFilter });
      await expect(decrypt(filtered, result)).rejects.toMatchObject({ name: 'NoDecryptableKeyError' });
      expect(refused.decrypts()).toBe(0);
    }
  });
});
