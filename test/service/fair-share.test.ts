import { CreateKeyCommand, GenerateDataKeyCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import { describe, expect, inject, it } from 'vitest';
import { kmsClient } from './kms-client';

/**
 * Fair sharing (worker/auth/fair-share.ts) at its defaults, in the runtime the service runs in:
 * a request queued for its turn is resumed by the request that frees its place (cross-request
 * promise resolution, which the workers project's pool turns off). The "flood" access key is
 * this file's alone, so that its bursts delay no other suite's requests.
 */
const keys = inject('accessKeys');
const flood = kmsClient(keys.flood);

/** The default THROTTLE_QUEUE: a principal's requests that may wait for their turn. */
const QUEUE = 32;

type Outcome = { ok: true } | { ok: false; name: string; status?: number; retryAfter?: string };

async function outcome(request: Promise<unknown>): Promise<Outcome> {
  try {
    await request;
    return { ok: true };
  } catch (error) {
    const failure = error as { name: string; $metadata?: { httpStatusCode?: number }; $response?: { headers: Record<string, string> } };
    return { ok: false, name: failure.name, status: failure.$metadata?.httpStatusCode, retryAfter: failure.$response?.headers['retry-after'] };
  }
}

describe('fair sharing in the dev server', () => {
  it('serves a burst beyond the principal’s share in turn, from its queue', async () => {
    const { KeyMetadata } = await flood.send(new CreateKeyCommand({}));
    const burst = QUEUE - 2;
    const outcomes = await Promise.all(
      Array.from({ length: burst }, () => outcome(flood.send(new GenerateDataKeyCommand({ KeyId: KeyMetadata!.KeyId, KeySpec: 'AES_256' })))),
    );
    expect(outcomes).toEqual(Array(burst).fill({ ok: true }));
  });

  it('refuses a burst past the queue with ThrottlingException, 400 and Retry-After, and serves another principal meanwhile', async () => {
    const { KeyMetadata } = await flood.send(new CreateKeyCommand({}));
    const burst = Array.from({ length: 3 * QUEUE }, () => outcome(flood.send(new GenerateDataKeyCommand({ KeyId: KeyMetadata!.KeyId, KeySpec: 'AES_256' }))));
    const other = await outcome(kmsClient(keys.admin).send(new ListKeysCommand({})));
    const outcomes = await Promise.all(burst);
    expect(other).toEqual({ ok: true });
    const refused = outcomes.filter((o) => !o.ok);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.length).toBeLessThanOrEqual(3 * QUEUE - QUEUE);
    for (const failure of refused) {
      expect(failure).toMatchObject({ name: 'ThrottlingException', status: 400 });
      expect(Number((failure as { retryAfter?: string }).retryAfter)).toBeGreaterThanOrEqual(1);
    }
  });
});
