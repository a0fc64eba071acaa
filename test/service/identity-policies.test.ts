import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  KMSServiceException,
  ListAliasesCommand,
  ListKeysCommand,
  PutKeyPolicyCommand,
} from '@aws-sdk/client-kms';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { kmsClient } from './kms-client';
import type { TestAccessKey } from '../setup/access-keys';
import { awsCall as signedAwsCall } from './aws-call';

/**
 * Identity policies for SigV4 users, through the official AWS SDK for
 * JavaScript v3: the same decisions as for JWT users, and AccessDeniedException
 * messages worded as AWS words them. Identity policies are managed over the
 * AWS protocol too (TrentService.PutUserPolicy, signed by the administrator's
 * access key), which the SDK's KMS client has no command for.
 */
const keys = inject('accessKeys');
const endpoint = inject('serviceUrl');
const ACCOUNT = '111122223333';
const admin = kmsClient(keys.admin);
const web = kmsClient(keys.web);
const webArn = `arn:aws:iam::${ACCOUNT}:user/web`;
const keyArn = (keyId: string) => `arn:aws:kms:us-east-1:${ACCOUNT}:key/${keyId}`;
const text = (value: string) => new TextEncoder().encode(value);
const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });

/** An AWS-protocol request the KMS client has no command for, signed as the SDKs sign. */
const awsCall = (key: TestAccessKey, operation: string, input: object) => signedAwsCall(endpoint, key, operation, input);

const attached: Array<{ kind: 'User' | 'Role'; name: string; policy: string }> = [];
async function attach(kind: 'User' | 'Role', name: string, policy: string, statements: object[]) {
  const response = await awsCall(keys.admin, `Put${kind}Policy`, { [`${kind}Name`]: name, PolicyName: policy, PolicyDocument: doc(...statements) });
  expect(response, JSON.stringify(response.body)).toMatchObject({ status: 200 });
  attached.push({ kind, name, policy });
}
afterAll(async () => {
  for (const { kind, name, policy } of attached) await awsCall(keys.admin, `Delete${kind}Policy`, { [`${kind}Name`]: name, PolicyName: policy });
});

async function denial(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(KMSServiceException);
  expect((error as KMSServiceException).name).toBe('AccessDeniedException');
  expect((error as KMSServiceException).$metadata.httpStatusCode).toBe(400);
  return (error as Error).message;
}

describe('identity policies for SigV4 users (official AWS SDK)', () => {
  it('account-level actions need an identity policy, and the denial names the user and action as AWS does', async () => {
    expect(await denial(web.send(new CreateKeyCommand({})))).toBe(
      `User: ${webArn} is not authorized to perform: kms:CreateKey on resource: * because no identity-based policy allows the kms:CreateKey action`,
    );
    expect(await denial(web.send(new ListKeysCommand({})))).toBe(
      `User: ${webArn} is not authorized to perform: kms:ListKeys on resource: * because no identity-based policy allows the kms:ListKeys action`,
    );
    await denial(web.send(new ListAliasesCommand({})));
    // Managing identity policies is an administrator's, whatever the caller's policies say.
    const refused = await awsCall(keys.web, 'PutUserPolicy', { UserName: 'web', PolicyName: 'mine', PolicyDocument: doc({ Effect: 'Allow', Action: 'kms:*', Resource: '*' }) });
    expect(refused.status).toBe(400);
    expect(refused.body.__type).toBe('AccessDeniedException');
    expect(refused.body.message).toBe(
      `User: ${webArn} is not authorized to perform: iam:PutUserPolicy on resource: arn:aws:iam::${ACCOUNT}:user/web because no identity-based policy allows the iam:PutUserPolicy action`,
    );
  });

  it('a role policy gives CreateKey and the own alias only; the default key policy delegates to it', async () => {
    const alias = `alias/web-${crypto.randomUUID()}`;
    await attach('Role', 'web-app', 'create', [
      { Effect: 'Allow', Action: 'kms:CreateKey', Resource: '*' },
      { Effect: 'Allow', Action: 'kms:CreateAlias', Resource: `arn:aws:kms:*:*:${alias}` },
      { Effect: 'Allow', Action: ['kms:CreateAlias', 'kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'], Resource: 'arn:aws:kms:*:*:key/*', Condition: { StringEquals: { 'kms:EncryptionContext:owner': '${aws:username}' } } },
    ]);
    const { KeyMetadata } = await web.send(new CreateKeyCommand({ Description: 'web user key' }));
    const keyId = KeyMetadata!.KeyId!;
    // CreateAlias needs the alias ARN and the key; the key's condition on the context cannot hold (no context), so it is refused there.
    expect(await denial(web.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId })))).toBe(
      `User: ${webArn} is not authorized to perform: kms:CreateAlias on resource: ${keyArn(keyId)} because no identity-based policy allows the kms:CreateAlias action`,
    );
    await attach('User', 'web', 'alias-target', [{ Effect: 'Allow', Action: 'kms:CreateAlias', Resource: keyArn(keyId) }]);
    await web.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
    expect(await denial(web.send(new CreateAliasCommand({ AliasName: `alias/other-${crypto.randomUUID()}`, TargetKeyId: keyId })))).toContain(
      'because no identity-based policy allows the kms:CreateAlias action',
    );

    const context = { owner: 'web' };
    const { CiphertextBlob } = await web.send(new GenerateDataKeyCommand({ KeyId: alias, KeySpec: 'AES_256', EncryptionContext: context }));
    expect((await web.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context }))).Plaintext).toHaveLength(32);
    expect(await denial(web.send(new EncryptCommand({ KeyId: keyId, Plaintext: text('x'), EncryptionContext: { owner: 'app' } })))).toBe(
      `User: ${webArn} is not authorized to perform: kms:Encrypt on resource: ${keyArn(keyId)} because no identity-based policy allows the kms:Encrypt action`,
    );
  });

  it('explicit denies in either policy win, and a key policy naming the user needs no identity policy', async () => {
    const named = (await admin.send(new CreateKeyCommand({
      Policy: doc(
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
        { Effect: 'Allow', Principal: { AWS: webArn }, Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: '*' },
        { Effect: 'Deny', Principal: { AWS: webArn }, Action: 'kms:Decrypt', Resource: '*' },
      ),
    }))).KeyMetadata!.KeyId!;
    const { CiphertextBlob } = await web.send(new EncryptCommand({ KeyId: named, Plaintext: text('hello') }));
    expect(await denial(web.send(new DecryptCommand({ CiphertextBlob })))).toBe(
      `User: ${webArn} is not authorized to perform: kms:Decrypt on resource: ${keyArn(named)} with an explicit deny in a resource-based policy`,
    );
    await attach('User', 'web', 'no-encrypt', [{ Effect: 'Deny', Action: 'kms:Encrypt', Resource: keyArn(named) }]);
    expect(await denial(web.send(new EncryptCommand({ KeyId: named, Plaintext: text('hello') })))).toBe(
      `User: ${webArn} is not authorized to perform: kms:Encrypt on resource: ${keyArn(named)} with an explicit deny in an identity-based policy`,
    );
  });

  it('PutKeyPolicy\'s lockout check counts the caller\'s identity policies', async () => {
    const keyId = (await admin.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    const rootOnly = doc({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' });
    const appOnly = doc({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/app` }, Action: 'kms:*', Resource: '*' });
    await attach('User', 'web', 'key-admin', [{ Effect: 'Allow', Action: 'kms:PutKeyPolicy', Resource: keyArn(keyId) }]);
    await web.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: rootOnly }));
    const lockout = await web.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: appOnly })).catch((error: unknown) => error);
    expect((lockout as KMSServiceException).name).toBe('MalformedPolicyDocumentException');
    expect((lockout as Error).message).toBe('The new key policy will not allow you to update the key policy in the future.');
  });
});
