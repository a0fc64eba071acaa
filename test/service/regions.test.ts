import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  ListAliasesCommand,
  ListKeysCommand,
  NotFoundException,
} from '@aws-sdk/client-kms';
import { describe, expect, inject, it } from 'vitest';
import { kmsClient } from './kms-client';

/**
 * Regions as AWS KMS has them, seen by the official AWS SDK for JavaScript v3:
 * two clients that differ only in `region` see two namespaces of keys and
 * aliases, and the SDK's own signer scopes each request to its region.
 */
const keys = inject('accessKeys');
const clientIn = (region: string) => kmsClient(keys.admin, { region });
const west = clientIn('us-west-2');
const europe = clientIn('eu-west-1');
const ACCOUNT = keys.admin.account;
const text = (value: string) => new TextEncoder().encode(value);

async function notFound(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(NotFoundException);
  return (error as NotFoundException).message;
}

describe('the AWS SDK in two regions', () => {
  it('a key made in us-west-2 has a us-west-2 ARN and is NotFound from eu-west-1', async () => {
    const { KeyMetadata } = await west.send(new CreateKeyCommand({ Description: 'regional' }));
    expect(KeyMetadata!.Arn).toBe(`arn:aws:kms:us-west-2:${ACCOUNT}:key/${KeyMetadata!.KeyId}`);
    const encrypted = await west.send(new EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: text('regional secret') }));
    expect(encrypted.KeyId).toBe(KeyMetadata!.Arn);

    await notFound(europe.send(new DescribeKeyCommand({ KeyId: KeyMetadata!.KeyId })));
    expect(await notFound(europe.send(new DescribeKeyCommand({ KeyId: KeyMetadata!.Arn })))).toBe('Invalid arn us-west-2');
    await notFound(europe.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob })));
    const listed = await europe.send(new ListKeysCommand({ Limit: 1000 }));
    expect(listed.Keys!.map((key) => key.KeyId)).not.toContain(KeyMetadata!.KeyId);

    const decrypted = await west.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob }));
    expect(new TextDecoder().decode(decrypted.Plaintext)).toBe('regional secret');
    expect((await west.send(new ListKeysCommand({ Limit: 1000 }))).Keys!.map((key) => key.KeyId)).toContain(KeyMetadata!.KeyId);
  });

  it('the same alias name is a different alias in each region', async () => {
    const alias = `alias/regional-${crypto.randomUUID()}`;
    const westKey = (await west.send(new CreateKeyCommand({}))).KeyMetadata!;
    const europeKey = (await europe.send(new CreateKeyCommand({}))).KeyMetadata!;
    await west.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: westKey.KeyId }));
    await europe.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: europeKey.KeyId }));

    expect((await west.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata!.Arn).toBe(westKey.Arn);
    expect((await europe.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata!.Arn).toBe(europeKey.Arn);
    const inEurope = (await europe.send(new ListAliasesCommand({ Limit: 100, KeyId: europeKey.KeyId }))).Aliases!;
    expect(inEurope.map((entry) => entry.AliasArn)).toEqual([`arn:aws:kms:eu-west-1:${ACCOUNT}:${alias}`]);
    await notFound(europe.send(new ListAliasesCommand({ KeyId: westKey.KeyId })));
    const allInEurope = (await europe.send(new ListAliasesCommand({ Limit: 1000 }))).Aliases!;
    expect(allInEurope.filter((entry) => entry.AliasName === alias).map((entry) => entry.TargetKeyId)).toEqual([europeKey.KeyId]);
  });
});
