import {
  AwsKmsMrkAwareSymmetricKeyringNode,
  buildAwsKmsMrkAwareDiscoveryMultiKeyringNode,
  buildAwsKmsMrkAwareStrictMultiKeyringNode,
  buildClient,
  CommitmentPolicy,
  KmsKeyringNode,
} from '@aws-crypto/client-node';
import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  NotFoundException,
  ReplicateKeyCommand,
  UpdatePrimaryRegionCommand,
} from '@aws-sdk/client-kms';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { kmsAggregatedClient, kmsClient } from './kms-client';

/**
 * Multi-Region keys seen by the official clients (issue 16, acceptance 2):
 * @aws-sdk/client-kms clients that differ only in region, and the AWS
 * Encryption SDK's MRK-aware keyrings, which decrypt with a client of their
 * own region a message written in another under the related key.
 */
const keys = inject('accessKeys');
const clientIn = (region: string) => kmsClient(keys.admin, { region });
const esdkClientIn = (region: string) => kmsAggregatedClient(keys.admin, { region });
const A = 'us-east-1';
const B = 'eu-west-1';
const C = 'ap-northeast-1';
const official = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
const text = (value: string) => new TextEncoder().encode(value);

describe('a multi-Region key through the AWS SDK for JavaScript', () => {
  let keyId: string;
  const arnIn = (region: string) => `arn:aws:kms:${region}:${keys.admin.account}:key/${keyId}`;

  beforeAll(async () => {
    const created = await clientIn(A).send(new CreateKeyCommand({ MultiRegion: true, Description: 'mrk interop' }));
    keyId = created.KeyMetadata!.KeyId!;
    const replicated = await clientIn(A).send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: B, Description: 'replica in B' }));
    expect(replicated.ReplicaKeyMetadata!.Arn).toBe(arnIn(B));
    expect(replicated.ReplicaKeyMetadata!.MultiRegionConfiguration!.MultiRegionKeyType).toBe('REPLICA');
  });

  it('encrypts in one region and decrypts in the other, each client in its own region', async () => {
    expect(keyId).toMatch(/^mrk-[0-9a-f]{32}$/);
    const { CiphertextBlob } = await clientIn(A).send(new EncryptCommand({ KeyId: arnIn(A), Plaintext: text('written in A'), EncryptionContext: { site: 'a' } }));
    const decrypted = await clientIn(B).send(new DecryptCommand({ CiphertextBlob, KeyId: arnIn(B), EncryptionContext: { site: 'a' } }));
    expect(new TextDecoder().decode(decrypted.Plaintext)).toBe('written in A');
    expect(decrypted.KeyId).toBe(arnIn(B));
    const back = await clientIn(B).send(new EncryptCommand({ KeyId: keyId, Plaintext: text('written in B') }));
    expect(new TextDecoder().decode((await clientIn(A).send(new DecryptCommand({ CiphertextBlob: back.CiphertextBlob }))).Plaintext)).toBe('written in B');
    // A region with no replica does not know the key.
    await expect(clientIn(C).send(new DescribeKeyCommand({ KeyId: keyId }))).rejects.toBeInstanceOf(NotFoundException);
  });

  it("the Encryption SDK's MRK-aware keyrings decrypt in B, with a client of B, what was written in A", async () => {
    const plaintext = text('a message under a multi-Region key, '.repeat(100));
    const context = { tenant: 'acme' };
    const writer = new KmsKeyringNode({ generatorKeyId: arnIn(A), clientProvider: esdkClientIn });
    const { result } = await official.encrypt(writer, plaintext, { encryptionContext: context });

    // The strict multi-keyring, configured with the replica's ARN: it matches the primary's ARN in the message as the same MRK.
    const strict = buildAwsKmsMrkAwareStrictMultiKeyringNode({ keyIds: [arnIn(B)], clientProvider: esdkClientIn });
    const first = await official.decrypt(strict, result);
    expect(new Uint8Array(first.plaintext)).toEqual(plaintext);
    expect(first.messageHeader.encryptionContext).toMatchObject(context);

    // The single keyring, given one client, of region B.
    const single = new AwsKmsMrkAwareSymmetricKeyringNode({ client: esdkClientIn(B), keyId: arnIn(B) });
    expect(new Uint8Array((await official.decrypt(single, result)).plaintext)).toEqual(plaintext);

    // The discovery keyring of region B, limited to this account: it asks B for the key the message names.
    const discovery = buildAwsKmsMrkAwareDiscoveryMultiKeyringNode({
      regions: [B],
      clientProvider: esdkClientIn,
      discoveryFilter: { accountIDs: [keys.admin.account], partition: 'aws' },
    });
    expect(new Uint8Array((await official.decrypt(discovery, result)).plaintext)).toEqual(plaintext);

    // A keyring that is not MRK-aware does not take the replica's ARN for the primary's.
    const plain = new KmsKeyringNode({ keyIds: [arnIn(B)], clientProvider: esdkClientIn });
    await expect(official.decrypt(plain, result)).rejects.toThrow();
  });

  it('UpdatePrimaryRegion moves the primary, and DescribeKey in both regions shows it', async () => {
    await clientIn(A).send(new UpdatePrimaryRegionCommand({ KeyId: arnIn(A), PrimaryRegion: B }));
    const inA = (await clientIn(A).send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.MultiRegionConfiguration!;
    const inB = (await clientIn(B).send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.MultiRegionConfiguration!;
    expect(inA.MultiRegionKeyType).toBe('REPLICA');
    expect(inB.MultiRegionKeyType).toBe('PRIMARY');
    for (const config of [inA, inB]) {
      expect(config.PrimaryKey).toEqual({ Arn: arnIn(B), Region: B });
      expect(config.ReplicaKeys).toEqual([{ Arn: arnIn(A), Region: A }]);
    }
    // The new primary replicates; a message written through it decrypts with the MRK-aware keyring in A.
    await clientIn(B).send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: C }));
    const { result } = await official.encrypt(new KmsKeyringNode({ generatorKeyId: arnIn(B), clientProvider: esdkClientIn }), text('from the new primary'));
    const reader = new AwsKmsMrkAwareSymmetricKeyringNode({ client: esdkClientIn(C), keyId: arnIn(C) });
    expect(new TextDecoder().decode((await official.decrypt(reader, result)).plaintext)).toBe('from the new primary');
  });
});
