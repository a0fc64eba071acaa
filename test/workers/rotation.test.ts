import { runDurableObjectAlarm } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { ON_DEMAND_ROTATIONS_PER_KEY } from '../../worker/key-object/quotas';
import { keyMaterialId } from '../../worker/operations/shapes';
import { blobVersion, createKey, editStoredRecord, eventually, keyStub, ok, refused } from './helpers';

const DAY = 86_400_000;

/** The KeyMaterialId of a version: 64 hex digits naming it (a version number as a string, for the tests' reading). */
const materialId = (keyId: string, version: string | number) => keyMaterialId({ keyId, account: '', region: '' }, Number(version));

async function encryptAll(keyId: string, label: string) {
  return ok('Encrypt', { KeyId: keyId, Plaintext: btoa(label), EncryptionContext: { label } });
}

async function expectDecrypts(blob: string, label: string) {
  const decrypted = await ok('Decrypt', { CiphertextBlob: blob, EncryptionContext: { label } });
  expect(atob(decrypted.Plaintext)).toBe(label);
}

describe('rotation settings', () => {
  it('enables with a period, reports status, and disables', async () => {
    const keyId = await createKey();
    expect(await ok('GetKeyRotationStatus', { KeyId: keyId })).toMatchObject({ KeyRotationEnabled: false });
    const before = Date.now();
    await ok('EnableKeyRotation', { KeyId: keyId, RotationPeriodInDays: 90 });
    const status = await ok('GetKeyRotationStatus', { KeyId: keyId });
    expect(status).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 90 });
    expect(status.NextRotationDate * 1000).toBeGreaterThanOrEqual(before + 90 * DAY);
    expect(status.NextRotationDate * 1000).toBeLessThanOrEqual(Date.now() + 90 * DAY);
    await ok('EnableKeyRotation', { KeyId: keyId });
    expect((await ok('GetKeyRotationStatus', { KeyId: keyId })).RotationPeriodInDays).toBe(365);
    await ok('DisableKeyRotation', { KeyId: keyId });
    expect(await ok('GetKeyRotationStatus', { KeyId: keyId })).toMatchObject({ KeyRotationEnabled: false });
  });

  it('refuses periods outside 90-2560 days, and disabled or asymmetric keys', async () => {
    const keyId = await createKey();
    await refused('EnableKeyRotation', { KeyId: keyId, RotationPeriodInDays: 89 }, 'ValidationException');
    await refused('EnableKeyRotation', { KeyId: keyId, RotationPeriodInDays: 2561 }, 'ValidationException');
    await ok('DisableKey', { KeyId: keyId });
    await refused('EnableKeyRotation', { KeyId: keyId }, 'DisabledException');
    await refused('RotateKeyOnDemand', { KeyId: keyId }, 'DisabledException');
    const hmac = await createKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    await refused('RotateKeyOnDemand', { KeyId: hmac }, 'UnsupportedOperationException');
  });
});

describe('RotateKeyOnDemand', () => {
  it('new encryptions use the new version and every older ciphertext still decrypts', async () => {
    const keyId = await createKey();
    const blobs: string[] = [];
    for (let round = 1; round <= 4; round++) {
      const { CiphertextBlob } = await encryptAll(keyId, `round ${round}`);
      expect(blobVersion(CiphertextBlob)).toBe(round);
      blobs.push(CiphertextBlob);
      if (round < 4) await ok('RotateKeyOnDemand', { KeyId: keyId });
    }
    for (const [index, blob] of blobs.entries()) await expectDecrypts(blob, `round ${index + 1}`);
    const status = await ok('GetKeyRotationStatus', { KeyId: keyId });
    // The rotations are complete when RotateKeyOnDemand answers, so none is in progress.
    expect(status).not.toHaveProperty('OnDemandRotationStartDate');
    expect((await ok('DescribeKey', { KeyId: keyId })).KeyMetadata.CurrentKeyMaterialId).toBe(materialId(keyId, '4'));

    const first = await ok('ListKeyRotations', { KeyId: keyId, Limit: 2 });
    expect(first.Rotations).toHaveLength(2);
    expect(first.Truncated).toBe(true);
    const rest = await ok('ListKeyRotations', { KeyId: keyId, Limit: 2, Marker: first.NextMarker });
    const rotations = [...first.Rotations, ...rest.Rotations];
    expect(rotations.map((r: { KeyMaterialId: string }) => r.KeyMaterialId)).toEqual(['2', '3', '4'].map((version) => materialId(keyId, version)));
    expect(rotations.every((r: { RotationType: string }) => r.RotationType === 'ON_DEMAND')).toBe(true);
    expect(rest.Truncated).toBe(false);
  });

  it('concurrent rotations each add a version and lose none', async () => {
    const keyId = await createKey();
    const { CiphertextBlob } = await encryptAll(keyId, 'before');
    await Promise.all(Array.from({ length: 5 }, () => ok('RotateKeyOnDemand', { KeyId: keyId })));
    expect((await ok('DescribeKey', { KeyId: keyId })).KeyMetadata.CurrentKeyMaterialId).toBe(materialId(keyId, '6'));
    const { Rotations } = await ok('ListKeyRotations', { KeyId: keyId });
    expect(Rotations.map((r: { KeyMaterialId: string }) => r.KeyMaterialId)).toEqual(['2', '3', '4', '5', '6'].map((version) => materialId(keyId, version)));
    await expectDecrypts(CiphertextBlob, 'before');
    expect(blobVersion((await encryptAll(keyId, 'after')).CiphertextBlob)).toBe(6);
  });
});

describe('the on-demand rotation quota', () => {
  it(`refuses rotation ${ON_DEMAND_ROTATIONS_PER_KEY + 1} with LimitExceededException; automatic rotation goes on`, async () => {
    const keyId = await createKey();
    await ok('EnableKeyRotation', { KeyId: keyId, RotationPeriodInDays: 90 });
    for (let rotation = 1; rotation <= ON_DEMAND_ROTATIONS_PER_KEY; rotation++) await ok('RotateKeyOnDemand', { KeyId: keyId });
    const { status, body } = await refused('RotateKeyOnDemand', { KeyId: keyId }, 'LimitExceededException');
    expect(status).toBe(400);
    expect(body.message).toBe(
      `On-demand rotations per key quota for this account in this region is ${ON_DEMAND_ROTATIONS_PER_KEY}, current usage is ${ON_DEMAND_ROTATIONS_PER_KEY}.`,
    );
    const current = String(ON_DEMAND_ROTATIONS_PER_KEY + 1);
    expect((await ok('DescribeKey', { KeyId: keyId })).KeyMetadata.CurrentKeyMaterialId).toBe(materialId(keyId, current));

    // The quota is on on-demand rotations only: the scheduled one still happens.
    await editStoredRecord(keyId, (record) => {
      record.rotation.nextRotation = Date.now() - 1000;
    });
    await runDurableObjectAlarm(keyStub(keyId));
    expect((await ok('DescribeKey', { KeyId: keyId })).KeyMetadata.CurrentKeyMaterialId).toBe(materialId(keyId, String(ON_DEMAND_ROTATIONS_PER_KEY + 2)));
    await refused('RotateKeyOnDemand', { KeyId: keyId }, 'LimitExceededException');
  });
});

describe('automatic rotation (Durable Object alarm)', () => {
  it('rotates when the period has passed, schedules the next one, and keeps old versions', async () => {
    const keyId = await createKey();
    await ok('EnableKeyRotation', { KeyId: keyId, RotationPeriodInDays: 90 });
    const { CiphertextBlob: old } = await encryptAll(keyId, 'old');

    // The alarm is armed but not due: running it early changes nothing.
    expect(await runDurableObjectAlarm(keyStub(keyId))).toBe(true);
    expect((await ok('DescribeKey', { KeyId: keyId })).KeyMetadata.CurrentKeyMaterialId).toBe(materialId(keyId, '1'));

    // Time passes: the stored next rotation date is now behind us, and the armed alarm fires.
    await editStoredRecord(keyId, (record) => {
      record.rotation.nextRotation = Date.now() - 1000;
    });
    expect(await runDurableObjectAlarm(keyStub(keyId))).toBe(true);

    expect((await ok('DescribeKey', { KeyId: keyId })).KeyMetadata.CurrentKeyMaterialId).toBe(materialId(keyId, '2'));
    const { Rotations } = await ok('ListKeyRotations', { KeyId: keyId });
    expect(Rotations).toEqual([expect.objectContaining({ KeyMaterialId: materialId(keyId, '2'), RotationType: 'AUTOMATIC' })]);
    const status = await ok('GetKeyRotationStatus', { KeyId: keyId });
    expect(status.NextRotationDate * 1000).toBeGreaterThan(Date.now() + 89 * DAY);

    const { CiphertextBlob: fresh } = await encryptAll(keyId, 'new');
    expect(blobVersion(fresh)).toBe(2);
    await expectDecrypts(old, 'old');
    await expectDecrypts(fresh, 'new');
  });

  it('does not rotate a disabled key', async () => {
    const keyId = await createKey();
    await ok('EnableKeyRotation', { KeyId: keyId, RotationPeriodInDays: 90 });
    await editStoredRecord(keyId, (record) => {
      record.rotation.nextRotation = Date.now() - 1000;
    });
    await ok('DisableKey', { KeyId: keyId });
    await runDurableObjectAlarm(keyStub(keyId));
    expect((await ok('DescribeKey', { KeyId: keyId })).KeyMetadata.CurrentKeyMaterialId).toBe(materialId(keyId, '1'));
    // Re-enabling a key whose rotation is overdue arms an alarm in the past: the runtime fires it at once.
    await ok('EnableKey', { KeyId: keyId });
    await eventually(async () => {
      expect((await ok('DescribeKey', { KeyId: keyId })).KeyMetadata.CurrentKeyMaterialId).toBe(materialId(keyId, '2'));
    });
  });
});
