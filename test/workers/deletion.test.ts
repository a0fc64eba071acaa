import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createKey, editStoredRecord, keyStub, ok, refused } from './helpers';

const DAY = 86_400_000;

describe('ScheduleKeyDeletion and CancelKeyDeletion', () => {
  it('schedules with a 7-30 day window, defaulting to 30', async () => {
    const keyId = await createKey();
    const before = Date.now();
    const scheduled = await ok('ScheduleKeyDeletion', { KeyId: keyId });
    expect(scheduled).toMatchObject({ KeyState: 'PendingDeletion', PendingWindowInDays: 30 });
    expect(scheduled.DeletionDate * 1000).toBeGreaterThanOrEqual(before + 30 * DAY);
    const other = await createKey();
    await refused('ScheduleKeyDeletion', { KeyId: other, PendingWindowInDays: 6 }, 'ValidationException');
    await refused('ScheduleKeyDeletion', { KeyId: other, PendingWindowInDays: 31 }, 'ValidationException');
    expect((await ok('ScheduleKeyDeletion', { KeyId: other, PendingWindowInDays: 7 })).PendingWindowInDays).toBe(7);
  });

  it('a key pending deletion refuses use with KMSInvalidStateException until cancelled, then comes back disabled', async () => {
    const keyId = await createKey();
    const { CiphertextBlob } = await ok('Encrypt', { KeyId: keyId, Plaintext: 'aGk=' });
    await ok('CreateGrant', { KeyId: keyId, GranteePrincipal: 'arn:aws:sts::111122223333:federated-user/alice', Operations: ['Decrypt'] });
    await ok('ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 });
    expect((await ok('DescribeKey', { KeyId: keyId })).KeyMetadata).toMatchObject({
      KeyState: 'PendingDeletion',
      PendingDeletionWindowInDays: 7,
      DeletionDate: expect.any(Number),
    });
    await refused('Encrypt', { KeyId: keyId, Plaintext: 'aGk=' }, 'KMSInvalidStateException');
    await refused('Decrypt', { CiphertextBlob }, 'KMSInvalidStateException');
    await refused('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' }, 'KMSInvalidStateException');
    await refused('EnableKey', { KeyId: keyId }, 'KMSInvalidStateException');
    await refused('DisableKey', { KeyId: keyId }, 'KMSInvalidStateException');
    await refused('ScheduleKeyDeletion', { KeyId: keyId }, 'KMSInvalidStateException');
    await refused('RotateKeyOnDemand', { KeyId: keyId }, 'KMSInvalidStateException');

    expect(await ok('CancelKeyDeletion', { KeyId: keyId })).toEqual({ KeyId: `arn:aws:kms:us-east-1:111122223333:key/${keyId}` });
    const { KeyMetadata } = await ok('DescribeKey', { KeyId: keyId });
    expect(KeyMetadata.KeyState).toBe('Disabled');
    expect(KeyMetadata).not.toHaveProperty('DeletionDate');
    await refused('Decrypt', { CiphertextBlob }, 'DisabledException');
    await refused('CancelKeyDeletion', { KeyId: keyId }, 'KMSInvalidStateException');
    await ok('EnableKey', { KeyId: keyId });
    expect((await ok('Decrypt', { CiphertextBlob })).Plaintext).toBe('aGk=');
  });

  it('at the end of the window the alarm destroys the material; the key and its aliases are gone', async () => {
    const keyId = await createKey({ Tags: [{ TagKey: 'doomed', TagValue: 'yes' }] });
    const alias = `alias/doomed-${crypto.randomUUID()}`;
    await ok('CreateAlias', { AliasName: alias, TargetKeyId: keyId });
    const { CiphertextBlob } = await ok('Encrypt', { KeyId: keyId, Plaintext: 'aGk=' });
    await ok('CreateGrant', { KeyId: keyId, GranteePrincipal: 'arn:aws:sts::111122223333:federated-user/alice', Operations: ['Decrypt'] });
    await ok('ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 });

    // Before the window ends the alarm leaves the key alone.
    expect(await runDurableObjectAlarm(keyStub(keyId))).toBe(true);
    expect((await ok('DescribeKey', { KeyId: keyId })).KeyMetadata.KeyState).toBe('PendingDeletion');

    await editStoredRecord(keyId, (record) => {
      record.deletionDate = Date.now() - 1000;
    });
    expect(await runDurableObjectAlarm(keyStub(keyId))).toBe(true);

    await refused('DescribeKey', { KeyId: keyId }, 'NotFoundException');
    await refused('Decrypt', { CiphertextBlob }, 'NotFoundException');
    await refused('Encrypt', { KeyId: keyId, Plaintext: 'aGk=' }, 'NotFoundException');
    await refused('CancelKeyDeletion', { KeyId: keyId }, 'NotFoundException');
    await refused('DescribeKey', { KeyId: alias }, 'NotFoundException');
    const keys = await ok('ListKeys', { Limit: 1000 });
    expect(keys.Keys.map((k: { KeyId: string }) => k.KeyId)).not.toContain(keyId);

    const stored = await runInDurableObject(keyStub(keyId), async (_instance, state) => [...(await state.storage.list()).keys()]);
    expect(stored).toEqual(['key']); // only the tombstone; every version is gone
    const grants = await runInDurableObject(keyStub(keyId), (_instance, state) => state.storage.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM grants').one().n);
    expect(grants).toBe(0);
  });
});

