import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
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

  it('generates a data key pair whose private key decrypts back and belongs to its public key (issue 14)', async () => {
    const { KeyMetadata } = await awsCli('create-key', '--description', 'aws cli data key pairs');
    const pair = await awsCli(
      'generate-data-key-pair', '--key-id', KeyMetadata.KeyId, '--key-pair-spec', 'ECC_NIST_P384', '--encryption-context', 'purpose=cli-pair',
    );
    expect(pair).toMatchObject({ KeyId: KeyMetadata.Arn, KeyPairSpec: 'ECC_NIST_P384', KeyMaterialId: expect.stringMatching(/^[a-f0-9]{64}$/) });
    const privateKey = createPrivateKey({ key: Buffer.from(pair.PrivateKeyPlaintext, 'base64'), format: 'der', type: 'pkcs8' });
    expect(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).toString('base64')).toBe(pair.PublicKey);
    const blobFile = join(home, 'private-key.blob');
    writeFileSync(blobFile, Buffer.from(pair.PrivateKeyCiphertextBlob, 'base64'));
    const decrypted = await awsCli('decrypt', '--ciphertext-blob', `fileb://${blobFile}`, '--encryption-context', 'purpose=cli-pair');
    expect(decrypted.Plaintext).toBe(pair.PrivateKeyPlaintext);
    const without = await awsCli('generate-data-key-pair-without-plaintext', '--key-id', KeyMetadata.KeyId, '--key-pair-spec', 'RSA_2048');
    expect(without).not.toHaveProperty('PrivateKeyPlaintext');
    expect(createPublicKey({ key: Buffer.from(without.PublicKey, 'base64'), format: 'der', type: 'spki' }).asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('derives a shared secret equal to OpenSSL ECDH (issue 14)', async () => {
    const { KeyMetadata } = await awsCli('create-key', '--key-spec', 'ECC_NIST_P256', '--key-usage', 'KEY_AGREEMENT');
    expect(KeyMetadata.KeyAgreementAlgorithms).toEqual(['ECDH']);
    const peer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const peerFile = join(home, 'peer.spki');
    writeFileSync(peerFile, peer.publicKey.export({ format: 'der', type: 'spki' }));
    const answer = await awsCli('derive-shared-secret', '--key-id', KeyMetadata.KeyId, '--key-agreement-algorithm', 'ECDH', '--public-key', `fileb://${peerFile}`);
    expect(answer).toMatchObject({ KeyId: KeyMetadata.Arn, KeyAgreementAlgorithm: 'ECDH', KeyOrigin: 'AWS_KMS' });
    const { PublicKey } = await awsCli('get-public-key', '--key-id', KeyMetadata.KeyId);
    const kmsPublic = createPublicKey({ key: Buffer.from(PublicKey, 'base64'), format: 'der', type: 'spki' });
    expect(answer.SharedSecret).toBe(diffieHellman({ privateKey: peer.privateKey, publicKey: kmsPublic }).toString('base64'));
    const usage = await awsCli('get-key-last-usage', '--key-id', KeyMetadata.KeyId);
    expect(usage.KeyLastUsage.Operation).toBe('DeriveSharedSecret');
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

/** The operations another change of issue 14 adds (data key pairs, shared secrets, last usage); until it lands they are not known here. */
const ADDED_WITH_KEY_PAIRS = new Set(['GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext', 'DeriveSharedSecret', 'GetKeyLastUsage']);

describe("botocore's KMS model against EdgeKMS", () => {
  it('every operation of the model is offered or answers UnsupportedOperationException, none UnknownOperationException', async () => {
    const python = await pythonWithBoto3();
    // Each operation, called with an empty body past botocore's own parameter checks: the answer names the operation's fate here.
    const script = `
import boto3, json
from botocore.config import Config
kms = boto3.client('kms', config=Config(parameter_validation=False, retries={'max_attempts': 1}))
answers = {}
for name in kms.meta.service_model.operation_names:
    try:
        kms._make_api_call(name, {})
        answers[name] = 'ok'
    except kms.exceptions.ClientError as error:
        answers[name] = error.response['Error']['Code']
print(json.dumps(answers))
`;
    const { stdout } = await run(python, ['-c', script], { env: awsEnv });
    const answers = JSON.parse(stdout) as Record<string, string>;
    expect(Object.keys(answers).length).toBeGreaterThanOrEqual(50);
    for (const [operation, answer] of Object.entries(answers)) {
      if (ADDED_WITH_KEY_PAIRS.has(operation) && answer === 'UnknownOperationException') continue;
      expect(answer, operation).not.toBe('UnknownOperationException');
    }
    for (const operation of ['ImportKeyMaterial', 'GetParametersForImport', 'CreateCustomKeyStore', 'DescribeCustomKeyStores']) {
      expect(answers[operation], operation).toBe('UnsupportedOperationException');
    }
    // Offered operations check their input: an empty body is a ValidationException, not an unknown operation.
    for (const operation of ['Encrypt', 'ReplicateKey', 'UpdatePrimaryRegion']) expect(answers[operation], operation).toBe('ValidationException');
    expect(answers.ListKeys).toBe('ok');
  });

  it('boto3 gets AWS answers: DryRun, rotation status of an asymmetric key, tags, alias names, validation wording', async () => {
    const python = await pythonWithBoto3();
    const script = `
import boto3, json
kms = boto3.client('kms')
def code(call):
    try:
        call()
        return 'ok'
    except kms.exceptions.ClientError as error:
        return [error.response['Error']['Code'], error.response['Error']['Message']]
key = kms.create_key()['KeyMetadata']['KeyId']
signer = kms.create_key(KeySpec='RSA_2048', KeyUsage='SIGN_VERIFY')['KeyMetadata']
print(json.dumps({
    'dryRun': code(lambda: kms.encrypt(KeyId=key, Plaintext=b'x', DryRun=True)),
    'rotation': kms.get_key_rotation_status(KeyId=signer['KeyId'])['KeyRotationEnabled'],
    'material': 'CurrentKeyMaterialId' in signer,
    'duplicateTags': code(lambda: kms.tag_resource(KeyId=key, Tags=[{'TagKey': 'a', 'TagValue': '1'}, {'TagKey': 'a', 'TagValue': '2'}])),
    'aliasPattern': code(lambda: kms.create_alias(AliasName='alias/bad!', TargetKeyId=key)),
    'keySpec': code(lambda: kms.create_key(KeySpec='RSA_1024')),
}))
`;
    const { stdout } = await run(python, ['-c', script], { env: awsEnv });
    const answers = JSON.parse(stdout);
    expect(answers.dryRun).toEqual(['DryRunOperationException', 'The request would have succeeded, but the DryRun option is set.']);
    expect(answers.rotation).toBe(false);
    expect(answers.material).toBe(false);
    expect(answers.duplicateTags).toEqual(['TagException', 'Duplicate tag keys']);
    expect(answers.aliasPattern).toEqual([
      'ValidationException',
      "1 validation error detected: Value 'alias/bad!' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
    ]);
    expect(answers.keySpec[0]).toBe('ValidationException');
    expect(answers.keySpec[1]).toMatch(/^1 validation error detected: Value 'RSA_1024' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: \[/);
  });

  it('the AWS CLI reports DryRunOperationException for --dry-run and reads the rotation status of an HMAC key', async () => {
    const { KeyMetadata } = await awsCli('create-key', '--key-spec', 'HMAC_256', '--key-usage', 'GENERATE_VERIFY_MAC');
    expect(await awsCli('get-key-rotation-status', '--key-id', KeyMetadata.KeyId)).toMatchObject({ KeyRotationEnabled: false });
    const failure = await awsCli('generate-mac', '--key-id', KeyMetadata.KeyId, '--message', 'aGk=', '--mac-algorithm', 'HMAC_SHA_256', '--dry-run').catch(
      (error: { stderr: string }) => error,
    );
    expect(String((failure as { stderr: string }).stderr)).toContain('DryRunOperationException');
  });
});
