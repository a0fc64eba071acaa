import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';

/**
 * The AWS CLI and boto3 (botocore's own SigV4 signer, independent of smithy's)
 * against the real Worker, configured only with endpoint, region and static
 * credentials. `.ci/run` installs both from Debian where they are missing.
 */
const run = promisify(execFile);
const endpoint = inject('serviceUrl');
const key = inject('accessKeys').admin;

const home = mkdtempSync(join(tmpdir(), 'edgekms-aws-'));
/** No developer's ~/.aws profile, no instance metadata lookups, no pager. */
const awsEnv = {
  ...process.env,
  HOME: home,
  AWS_CONFIG_FILE: join(home, 'config'),
  AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
  AWS_ACCESS_KEY_ID: key.accessKeyId,
  AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_PAGER: '',
  AWS_ENDPOINT_URL_KMS: endpoint,
};

async function awsCli(...args: string[]): Promise<any> {
  const { stdout } = await run('aws', ['kms', ...args, '--endpoint-url', endpoint, '--output', 'json'], { env: awsEnv });
  return stdout.trim() ? JSON.parse(stdout) : {};
}

/** The first python3 on these machines that has boto3 (pyenv's, or Debian's python3-boto3). */
async function pythonWithBoto3(): Promise<string> {
  for (const candidate of ['python3', '/usr/bin/python3']) {
    try {
      await run(candidate, ['-c', 'import boto3'], { env: awsEnv });
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error('No python3 with boto3 found: install python3-boto3 (.ci/run does).');
}

describe('the AWS CLI against EdgeKMS', () => {
  it('creates a key, encrypts and decrypts with an encryption context', async () => {
    const { KeyMetadata } = await awsCli('create-key', '--description', 'aws cli suite');
    expect(KeyMetadata.KeyState).toBe('Enabled');
    const plaintextFile = join(home, 'plaintext.txt');
    writeFileSync(plaintextFile, 'hello from the aws cli');
    const encrypted = await awsCli(
      'encrypt', '--key-id', KeyMetadata.KeyId, '--plaintext', `fileb://${plaintextFile}`, '--encryption-context', 'purpose=cli',
    );
    const blobFile = join(home, 'blob.bin');
    writeFileSync(blobFile, Buffer.from(encrypted.CiphertextBlob, 'base64'));
    const decrypted = await awsCli('decrypt', '--ciphertext-blob', `fileb://${blobFile}`, '--encryption-context', 'purpose=cli');
    expect(Buffer.from(decrypted.Plaintext, 'base64').toString()).toBe('hello from the aws cli');
    expect(decrypted.KeyId).toBe(KeyMetadata.Arn);
  });

  it('gets AWS error names back as CLI errors', async () => {
    const failure = await awsCli('describe-key', '--key-id', '00000000-0000-4000-8000-000000000000').catch((error: { stderr: string }) => error);
    expect(String((failure as { stderr: string }).stderr)).toContain('NotFoundException');
  });
});

describe('the AWS CLI with a key in a second region', () => {
  it('creates a key with --region eu-west-1, uses it there, and does not find it from us-east-1', async () => {
    const { KeyMetadata } = await awsCli('create-key', '--region', 'eu-west-1', '--description', 'second region');
    expect(KeyMetadata.Arn).toBe(`arn:aws:kms:eu-west-1:${key.account}:key/${KeyMetadata.KeyId}`);
    const alias = `alias/cli-region-${Date.now()}`;
    await awsCli('create-alias', '--region', 'eu-west-1', '--alias-name', alias, '--target-key-id', KeyMetadata.KeyId);
    const plaintextFile = join(home, 'regional-plaintext.txt');
    writeFileSync(plaintextFile, 'second region');
    const encrypted = await awsCli('encrypt', '--region', 'eu-west-1', '--key-id', alias, '--plaintext', `fileb://${plaintextFile}`);
    expect(encrypted.KeyId).toBe(KeyMetadata.Arn);
    const blobFile = join(home, 'regional-blob.bin');
    writeFileSync(blobFile, Buffer.from(encrypted.CiphertextBlob, 'base64'));
    const decrypted = await awsCli('decrypt', '--region', 'eu-west-1', '--ciphertext-blob', `fileb://${blobFile}`);
    expect(Buffer.from(decrypted.Plaintext, 'base64').toString()).toBe('second region');

    // The CLI's default region (us-east-1) is another namespace: the key, its alias and its ciphertext are not there.
    for (const args of [['describe-key', '--key-id', KeyMetadata.KeyId], ['describe-key', '--key-id', alias], ['decrypt', '--ciphertext-blob', `fileb://${blobFile}`]]) {
      const failure = (await awsCli(...args).then(() => ({ stderr: 'accepted' }), (error: { stderr: string }) => error)) as { stderr: string };
      expect(String(failure.stderr)).toContain('NotFoundException');
    }
    const { Keys } = await awsCli('list-keys', '--region', 'eu-west-1');
    expect(Keys.map((entry: { KeyId: string }) => entry.KeyId)).toContain(KeyMetadata.KeyId);
    const home1 = await awsCli('list-keys');
    expect(home1.Keys.map((entry: { KeyId: string }) => entry.KeyId)).not.toContain(KeyMetadata.KeyId);
    // Ten CLI processes, each a Python start-up: on a loaded machine that is well past the 30 s default.
  }, 180_000);
});

describe('boto3 against EdgeKMS', () => {
  it('generates a data key and decrypts it, and sees typed errors', async () => {
    const python = await pythonWithBoto3();
    const script = `
import boto3, json, os
kms = boto3.client('kms')
key = kms.create_key(Description='boto3 suite')['KeyMetadata']['KeyId']
data_key = kms.generate_data_key(KeyId=key, KeySpec='AES_256', EncryptionContext={'app': 'boto3'})
plain = kms.decrypt(CiphertextBlob=data_key['CiphertextBlob'], EncryptionContext={'app': 'boto3'})['Plaintext']
try:
    kms.decrypt(CiphertextBlob=data_key['CiphertextBlob'], EncryptionContext={'app': 'other'})
    wrong = 'accepted'
except kms.exceptions.InvalidCiphertextException:
    wrong = 'InvalidCiphertextException'
print(json.dumps({'same': plain == data_key['Plaintext'], 'length': len(plain), 'wrong': wrong}))
`;
    const { stdout } = await run(python, ['-c', script], { env: awsEnv });
    expect(JSON.parse(stdout)).toEqual({ same: true, length: 32, wrong: 'InvalidCiphertextException' });
  });
});
