import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { mintToken } from './helpers';

const ACCOUNT = '333344445555';

async function post(token: string, operation: string, body: unknown) {
  return SELF.fetch(`https://kms.test/v1/${operation}`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
}

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

    // Throttled requests are audited as denied.
    const audit = (await (await post(other, 'ListAuditRecords', { Outcome: 'Denied' })).json()) as { Records: Array<{ ErrorName: string }> };
    expect(audit.Records.filter((record) => record.ErrorName === 'ThrottlingException')).toHaveLength(2);
  });
});
