import { env, runInDurableObject, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { AuditLog } from '../../worker/audit/audit-log';
import type { AuditEntry } from '../../worker/audit/record';
import { THROTTLED_WINDOW_MS } from '../../worker/audit/throttled-tally';
import { mintToken } from './helpers';

const ACCOUNT = '333344445555';
const THROTTLED = `arn:aws:sts::${ACCOUNT}:federated-user/throttled`;

async function post(token: string, operation: string, body: unknown) {
  return SELF.fetch(`https://kms.test/v1/${operation}`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
}

const auditLogOf = (account: string) => env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName(account));

describe('throttling', () => {
  it('answers 429 ThrottlingException with Retry-After once the principal’s bucket is empty, and changes nothing', async () => {
    const throttled = await mintToken({ sub: 'throttled', account: ACCOUNT, groups: ['kms-admin'] });
    const other = await mintToken({ sub: 'observer', account: ACCOUNT, groups: ['kms-admin'] });

    const first = await post(throttled, 'CreateKey', { Description: 'one' });
    const second = await post(throttled, 'CreateKey', { Description: 'two' });
    expect([first.status, second.status]).toEqual([200, 200]);
    const keyId = ((await first.json()) as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;

    const third = await post(throttled, 'CreateKey', { Description: 'three' });
    expect(third.status).toBe(429);
    expect(await third.json()).toMatchObject({ __type: 'ThrottlingException' });
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const disable = await post(throttled, 'DisableKey', { KeyId: keyId });
    expect(disable.status).toBe(429);

    // Another principal is not affected, and sees that the throttled requests did nothing.
    const keys = (await (await post(other, 'ListKeys', {})).json()) as { Keys: unknown[] };
    expect(keys.Keys).toHaveLength(2);
    const described = (await (await post(other, 'DescribeKey', { KeyId: keyId })).json()) as { KeyMetadata: { KeyState: string } };
    expect(described.KeyMetadata.KeyState).toBe('Enabled');

    // A flood of throttled requests writes one record for the first of them, and counts the rest.
    for (let i = 0; i < 20; i++) expect((await post(throttled, 'ListKeys', {})).status).toBe(429);
    type Listed = { Records: Array<Record<string, any>> };
    const throttledRecords = async () =>
      ((await (await post(other, 'ListAuditRecords', { Principal: THROTTLED, Outcome: 'Denied' })).json()) as Listed).Records;
    const recorded = await throttledRecords();
    expect(recorded).toEqual([expect.objectContaining({ Operation: 'kms:CreateKey', ErrorName: 'ThrottlingException' })]);

    // When the window ends, the count becomes one record (the alarm does this; here time is moved on).
    await runInDurableObject(auditLogOf(ACCOUNT), (instance: AuditLog) => instance.flushThrottled(Date.now() + THROTTLED_WINDOW_MS));
    const [opening, counted] = await throttledRecords();
    expect(counted).toMatchObject({ Operation: 'edgekms:Throttled', Principal: THROTTLED, Account: ACCOUNT, ErrorName: 'ThrottlingException', Count: 21 });
    expect(counted!.WindowStart).toBe(opening!.Time);
    const verified = (await (await post(other, 'VerifyAuditChain', {})).json()) as { Valid: boolean };
    expect(verified.Valid).toBe(true);
  });

  it('records at most two entries per principal per window: its first throttled request, and the count of the rest', async () => {
    const account = '444455556666';
    const log = auditLogOf(account);
    const [alice, bob] = ['alice', 'bob'].map((sub) => `arn:aws:sts::${account}:federated-user/${sub}`);
    let n = 0;
    const throttledAt = (principal: string, time: number): AuditEntry => ({
      time,
      requestId: `request-${++n}`,
      principal: principal!,
      account,
      operation: 'kms:Encrypt',
      outcome: 'Denied',
      errorName: 'ThrottlingException',
    });
    // In chain order: these entries carry made-up times, ahead of the clock that stamps the counts.
    const records = async () =>
      (await log.page(account, {}, 0, 1000, 5000)).records
        .map(({ principal, requestId, count, windowStart }) => ({ principal, requestId, count, windowStart }));
    const t0 = Date.now();

    await log.appendThrottled(account, throttledAt(alice!, t0));
    // The first throttled request arms the alarm for the end of its window.
    expect(await runInDurableObject(log, (_instance, state) => state.storage.getAlarm())).toBe(t0 + THROTTLED_WINDOW_MS);
    for (let second = 1; second <= 50; second++) await log.appendThrottled(account, throttledAt(alice!, t0 + second * 1000));
    await log.appendThrottled(account, throttledAt(bob!, t0 + 2000)); // each principal has its own window
    expect(await records()).toEqual([
      { principal: alice, requestId: 'request-1', count: undefined, windowStart: undefined },
      { principal: bob, requestId: 'request-52', count: undefined, windowStart: undefined },
    ]);

    // Alice's next throttled request after her window writes its count, then opens a new window.
    await log.appendThrottled(account, throttledAt(alice!, t0 + THROTTLED_WINDOW_MS));
    await log.appendThrottled(account, throttledAt(alice!, t0 + THROTTLED_WINDOW_MS + 1000));
    await log.appendThrottled(account, throttledAt(alice!, t0 + THROTTLED_WINDOW_MS + 2000));
    // The alarm writes out the windows that have ended: Bob's had no more requests, so it adds nothing.
    await runInDurableObject(log, (instance: AuditLog) => instance.flushThrottled(t0 + 2 * THROTTLED_WINDOW_MS));
    const written = await records();
    expect(written).toEqual([
      expect.objectContaining({ principal: alice, requestId: 'request-1' }),
      expect.objectContaining({ principal: bob, requestId: 'request-52' }),
      { principal: alice, requestId: expect.stringMatching(/^throttled-/), count: 50, windowStart: t0 },
      expect.objectContaining({ principal: alice, requestId: 'request-53' }),
      { principal: alice, requestId: expect.stringMatching(/^throttled-/), count: 2, windowStart: t0 + THROTTLED_WINDOW_MS },
    ]);
    await runInDurableObject(log, (instance: AuditLog) => instance.flushThrottled(t0 + 10 * THROTTLED_WINDOW_MS));
    expect(await records()).toHaveLength(5);

    // The count is covered by the chain's hashes like every other field.
    expect((await log.verify(account)).valid).toBe(true);
    await runInDurableObject(log, (_instance, state) => {
      state.storage.sql.exec('UPDATE audit SET request_count = 1 WHERE request_count = 50');
    });
    expect((await log.verify(account)).firstInvalid).toMatchObject({ sequence: 3, reason: expect.stringContaining('edited') });
  });
});
