import { DecryptCommand, EncryptCommand, GenerateDataKeyCommand, ReEncryptCommand } from '@aws-sdk/client-kms';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { kmsClient } from './kms-client';
import { checkReceipt } from '../../sdk/audit/check-receipt';
import { verifyReceipt } from '../../sdk/audit/verify-receipt';
import { createClient } from '../../sdk/client/index';
import type { TestAccessKey } from '../setup/access-keys';
import { SERVICE_ADMIN_TOKEN } from '../setup/service';
import { awsCall as signedAwsCall } from './aws-call';

/**
 * Receipts (issue 18) against the real Worker process: the `EdgeKmsReceipt` member is on the
 * AWS protocol's wire, and the official clients (the AWS SDK for JavaScript v3, the AWS CLI and
 * boto3) still work, reading only the members their model knows; the receipt verifies against
 * the service key published on either protocol.
 */
const run = promisify(execFile);
const endpoint = inject('serviceUrl');
const keys = inject('accessKeys');
const kms = kmsClient(keys.admin);
const text = (value: string) => new TextEncoder().encode(value);

/** Every member of the answer, read raw. */
const awsCall = (key: TestAccessKey, operation: string, input: object) => signedAwsCall(endpoint, key, operation, input);

async function newKeyId(): Promise<string> {
  const created = await awsCall(keys.admin, 'CreateKey', { Description: 'receipts service suite' });
  expect(created.status).toBe(200);
  return created.body.KeyMetadata.KeyId as string;
}

describe('receipts on the AWS protocol', () => {
  it('are on the wire, and verify against the key GetReceiptPublicKey publishes there', async () => {
    const keyId = await newKeyId();
    const encrypted = await awsCall(keys.admin, 'Encrypt', { KeyId: keyId, Plaintext: btoa('over the aws protocol') });
    expect(encrypted.status).toBe(200);
    const receipt = encrypted.body.EdgeKmsReceipt;
    expect(receipt).toEqual({ KeyId: encrypted.body.KeyId, Sequence: expect.any(Number), RecordHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const proof = await awsCall(keys.admin, 'GetAuditInclusionProof', { KeyId: keyId, Sequence: receipt.Sequence });
    const publicKey = await awsCall(keys.admin, 'GetReceiptPublicKey', {});
    expect(proof.status).toBe(200);
    // Base64 as the AWS protocol writes bytes: verifyReceipt takes it as it comes.
    await expect(verifyReceipt(receipt, proof.body as never, publicKey.body as never)).resolves.toMatchObject({ head: { chainId: keyId } });
    // The native protocol publishes the same key for the same account and region.
    const native = await createClient({ endpoint, getToken: () => SERVICE_ADMIN_TOKEN }).getReceiptPublicKey();
    expect(native.SigningKeyId).toBe(publicKey.body.SigningKeyId);
  });

  it('leave the AWS SDK for JavaScript v3 working, which drops the member it does not know', async () => {
    const keyId = await newKeyId();
    const encrypted = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: text('aws sdk'), EncryptionContext: { suite: 'receipts' } }));
    expect(encrypted.KeyId).toBe(`arn:aws:kms:us-east-1:111122223333:key/${keyId}`);
    expect(encrypted).not.toHaveProperty('EdgeKmsReceipt');
    const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: { suite: 'receipts' } }));
    expect(new TextDecoder().decode(decrypted.Plaintext)).toBe('aws sdk');
    const dataKey = await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' }));
    expect(dataKey.Plaintext).toHaveLength(32);
    const reEncrypted = await kms.send(new ReEncryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, SourceEncryptionContext: { suite: 'receipts' }, DestinationKeyId: keyId }));
    expect(reEncrypted.SourceKeyId).toBe(encrypted.KeyId);
    expect(Object.keys(reEncrypted).filter((name) => name.startsWith('EdgeKms'))).toEqual([]);
  });

  it('leave the AWS CLI and boto3 working', async () => {
    const home = mkdtempSync(join(tmpdir(), 'edgekms-receipts-'));
    const env = {
      ...process.env,
      HOME: home,
      AWS_CONFIG_FILE: join(home, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
      AWS_ACCESS_KEY_ID: keys.admin.accessKeyId,
      AWS_SECRET_ACCESS_KEY: keys.admin.secretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PAGER: '',
      AWS_ENDPOINT_URL_KMS: endpoint,
    };
    const keyId = await newKeyId();
    const plaintext = join(home, 'plaintext.txt');
    writeFileSync(plaintext, 'receipts and the cli');
    const cli = await run('aws', ['kms', 'encrypt', '--key-id', keyId, '--plaintext', `fileb://${plaintext}`, '--endpoint-url', endpoint, '--output', 'json'], { env });
    const encrypted = JSON.parse(cli.stdout) as Record<string, unknown>;
    expect(encrypted).toMatchObject({ KeyId: expect.stringContaining(keyId), CiphertextBlob: expect.any(String) });
    expect(encrypted).not.toHaveProperty('EdgeKmsReceipt');

    let python = 'python3';
    try {
      await run('python3', ['-c', 'import boto3'], { env });
    } catch {
      python = '/usr/bin/python3';
    }
    const script = `
import boto3, json, sys
kms = boto3.client('kms', endpoint_url=sys.argv[1])
out = kms.generate_data_key(KeyId=sys.argv[2], KeySpec='AES_256')
back = kms.decrypt(CiphertextBlob=out['CiphertextBlob'])
print(json.dumps({'same': back['Plaintext'] == out['Plaintext'], 'members': sorted(k for k in out if k != 'ResponseMetadata')}))
`;
    const boto = JSON.parse((await run(python, ['-c', script, endpoint, keyId], { env })).stdout) as { same: boolean; members: string[] };
    expect(boto.same).toBe(true);
    expect(boto.members).toEqual(expect.arrayContaining(['CiphertextBlob', 'KeyId', 'Plaintext']));
    expect(boto.members).not.toContain('EdgeKmsReceipt');
  });
});

describe('receipts through the EdgeKMS SDK client', () => {
  it('come with the answer and are checked with the pinned service key', async () => {
    const client = createClient({ endpoint, getToken: () => SERVICE_ADMIN_TOKEN });
    const pinned = await client.getReceiptPublicKey();
    const keyId = await newKeyId();
    const dataKey = await client.generateDataKey({ KeyId: keyId, NumberOfBytes: 32, EncryptionContext: { Plaintext: 'a context key named like a binary field' } });
    expect(dataKey.EdgeKmsReceipt).toBeDefined();
    const verified = await checkReceipt(client, dataKey.EdgeKmsReceipt!, { publicKey: pinned });
    expect(verified.record).toMatchObject({ operation: 'kms:GenerateDataKey', encryptionContext: { Plaintext: 'a context key named like a binary field' } });
    expect(verified.record.requestId).toBe(dataKey.$metadata.requestId);
  });
});
