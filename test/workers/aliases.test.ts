import { describe, expect, it } from 'vitest';
import { createKey, ok, refused } from './helpers';

const aliasName = () => `alias/test-${crypto.randomUUID()}`;

describe('aliases', () => {
  it('creates, resolves, re-points and deletes an alias', async () => {
    const [first, second] = await Promise.all([createKey(), createKey()]);
    const alias = aliasName();
    await ok('CreateAlias', { AliasName: alias, TargetKeyId: first });
    expect((await ok('DescribeKey', { KeyId: alias })).KeyMetadata.KeyId).toBe(first);
    expect((await ok('DescribeKey', { KeyId: `arn:aws:kms:us-east-1:111122223333:${alias}` })).KeyMetadata.KeyId).toBe(first);

    const listed = await ok('ListAliases', { KeyId: first });
    expect(listed.Aliases).toEqual([
      {
        AliasName: alias,
        AliasArn: `arn:aws:kms:us-east-1:111122223333:${alias}`,
        TargetKeyId: first,
        CreationDate: expect.any(Number),
        LastUpdatedDate: expect.any(Number),
      },
    ]);

    await ok('UpdateAlias', { AliasName: alias, TargetKeyId: `arn:aws:kms:us-east-1:111122223333:key/${second}` });
    expect((await ok('DescribeKey', { KeyId: alias })).KeyMetadata.KeyId).toBe(second);
    expect((await ok('ListAliases', { KeyId: first })).Aliases).toEqual([]);

    await ok('DeleteAlias', { AliasName: alias });
    await refused('DescribeKey', { KeyId: alias }, 'NotFoundException');
    await refused('DeleteAlias', { AliasName: alias }, 'NotFoundException');
    await refused('UpdateAlias', { AliasName: alias, TargetKeyId: first }, 'NotFoundException');
  });

  it('refuses duplicates, bad names, reserved names, alias targets and unknown keys', async () => {
    const keyId = await createKey();
    const alias = aliasName();
    await ok('CreateAlias', { AliasName: alias, TargetKeyId: keyId });
    await refused('CreateAlias', { AliasName: alias, TargetKeyId: keyId }, 'AlreadyExistsException');
    await refused('CreateAlias', { AliasName: 'no-prefix', TargetKeyId: keyId }, 'InvalidAliasNameException');
    await refused('CreateAlias', { AliasName: 'alias/has space', TargetKeyId: keyId }, 'InvalidAliasNameException');
    await refused('CreateAlias', { AliasName: 'alias/aws/s3', TargetKeyId: keyId }, 'InvalidAliasNameException');
    await refused('CreateAlias', { AliasName: aliasName(), TargetKeyId: alias }, 'NotFoundException');
    await refused('CreateAlias', { AliasName: aliasName(), TargetKeyId: crypto.randomUUID() }, 'NotFoundException');
  });

  it('refuses an alias for a key pending deletion', async () => {
    const keyId = await createKey();
    await ok('ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 });
    await refused('CreateAlias', { AliasName: aliasName(), TargetKeyId: keyId }, 'KMSInvalidStateException');
  });

  it('pages through aliases', async () => {
    const keyId = await createKey();
    const names = Array.from({ length: 5 }, aliasName);
    for (const name of names) await ok('CreateAlias', { AliasName: name, TargetKeyId: keyId });
    const seen: string[] = [];
    let marker: string | undefined;
    do {
      const page = await ok('ListAliases', { KeyId: keyId, Limit: 2, ...(marker && { Marker: marker }) });
      expect(page.Aliases.length).toBeLessThanOrEqual(2);
      seen.push(...page.Aliases.map((a: { AliasName: string }) => a.AliasName));
      marker = page.NextMarker;
    } while (marker);
    expect(seen).toEqual([...names].sort());
    const all = await ok('ListAliases', { Limit: 1000 });
    for (const name of names) expect(all.Aliases.map((a: { AliasName: string }) => a.AliasName)).toContain(name);
  });
});
