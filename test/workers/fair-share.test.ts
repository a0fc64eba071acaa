import { env, SELF } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import { FairShare, RECENT_MS, type Limits } from '../../worker/auth/fair-share';
import { ThrottlingException } from '../../worker/errors';
import { mintToken } from './helpers';
import { signedKmsRequest } from './sigv4-signer';

// vitest.config.mts: the isolate's limit, and the flooding principals ("greedy", the "flood"
// access key) may queue nothing, so that past their share they are refused at once.
const LIMIT = Number(env.THROTTLE_CONCURRENCY);
const FLOOD = LIMIT + 40;
const ACCOUNT = '555566667777';
const arn = (sub: string) => `arn:aws:sts::${ACCOUNT}:federated-user/${sub}`;

async function post(token: string, operation: string, body: unknown) {
  return SELF.fetch(`https://kms.test/v1/${operation}`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
}

async function ownKey(token: string): Promise<string> {
  const created = await post(token, 'CreateKey', {});
  expect(created.status).toBe(200);
  return ((await created.json()) as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;
}

async function answer(response: Response) {
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as { __type?: string } };
}

describe('fair sharing of the Worker isolate between principals', () => {
  it('refuses a principal past its share of a saturated isolate with 429 ThrottlingException and Retry-After, and serves another principal', async () => {
    const greedy = await mintToken({ sub: 'greedy', account: ACCOUNT, groups: ['kms-admin'] });
    const patient = await mintToken({ sub: 'patient', account: ACCOUNT, groups: ['kms-admin'] });
    const [greedyKey, patientKey] = [await ownKey(greedy), await ownKey(patient)];

    let firstRefusal!: () => void;
    const saturated = new Promise<void>((resolve) => (firstRefusal = resolve));
    const flood = Array.from({ length: FLOOD }, async () => {
      const reply = await answer(await post(greedy, 'GenerateDataKey', { KeyId: greedyKey, KeySpec: 'AES_256' }));
      if (reply.status !== 200) firstRefusal();
      return reply;
    });
    // Once the greedy principal is refused, the isolate is saturated with its requests; another principal still gets in.
    await Promise.race([saturated, Promise.all(flood)]);
    const served = await post(patient, 'GenerateDataKey', { KeyId: patientKey, KeySpec: 'AES_256' });
    expect(served.status).toBe(200);

    const answers = await Promise.all(flood);
    const refused = answers.filter(({ status }) => status !== 200);
    expect(refused.length).toBeGreaterThan(0);
    // At least its share, and never more than the isolate's limit. The place kept for the patient
    // principal (LIMIT - 1) lasts only RECENT_MS past its last request, which admitting the flood can
    // outlast on a loaded machine; the exact share arithmetic is FairShare's, tested below.
    expect(answers.length - refused.length).toBeGreaterThanOrEqual(LIMIT / 2);
    expect(answers.length - refused.length).toBeLessThanOrEqual(LIMIT);
    for (const answer of refused) {
      expect(answer.status).toBe(429);
      expect(answer.body.__type).toBe('ThrottlingException');
      expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
    }

    // The refusals are audited as throttled requests are (throttled-tally.ts): the first one recorded, the rest counted.
    const listed = await post(patient, 'ListAuditRecords', { Principal: arn('greedy'), Outcome: 'Denied' });
    const records = ((await listed.json()) as { Records: Array<{ ErrorName: string; Operation: string }> }).Records;
    expect(records).toEqual([expect.objectContaining({ ErrorName: 'ThrottlingException', Operation: 'kms:GenerateDataKey' })]);
  });

  it('answers throttling on the AWS protocol with 400 ThrottlingException, as AWS KMS does, and Retry-After', async () => {
    const request = await signedKmsRequest(inject('accessKeys').flood, 'ListKeys', '{}');
    const answers = await Promise.all(Array.from({ length: FLOOD }, async () => answer(await SELF.fetch('https://kms.test/', request))));
    const refused = answers.filter(({ status }) => status !== 200);
    expect(refused.length).toBeGreaterThan(0);
    expect(answers.length - refused.length).toBeGreaterThanOrEqual(LIMIT / 3);
    expect(answers.length - refused.length).toBeLessThanOrEqual(LIMIT);
    for (const answer of refused) {
      expect(answer).toMatchObject({ status: 400, body: { __type: 'ThrottlingException' } });
      expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
    }
  });
});

/** A piece of work that finishes when the test says so. */
function deferred() {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { done, finish };
}

/** Starts `principal`'s request on `share`; `started` says whether its work has begun, `outcome` how it ended. */
function request(share: FairShare, principal: string, limits: Limits) {
  const work = deferred();
  const state = { started: false, outcome: undefined as undefined | 'done' | Error, finish: work.finish };
  const settled = share
    .run(principal, limits, async () => {
      state.started = true;
      await work.done;
    })
    .then(
      () => (state.outcome = 'done'),
      (error: Error) => (state.outcome = error),
    );
  return Object.assign(state, { settled });
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('the FairShare scheduler', () => {
  const limits: Limits = { concurrency: 2, queue: 3, maxWaitMs: 10_000 };

  it('queues a principal at the limit, starts one running fewer than its share at once, and hands freed places to the principal running fewest', async () => {
    const share = new FairShare();
    const [a1, a2, a3, a4] = ['a', 'a', 'a', 'a'].map((p) => request(share, p, limits));
    await tick();
    expect([a1!.started, a2!.started, a3!.started, a4!.started]).toEqual([true, true, false, false]);

    // b has nothing running: its share of the limit is one, so it starts although the limit is reached.
    const b1 = request(share, 'b', limits);
    const b2 = request(share, 'b', limits);
    await tick();
    expect([b1.started, b2.started]).toEqual([true, false]);
    expect(share.stats()).toEqual({ running: 3, waiting: 3, principals: 2 });

    // Two running (a2, b1) is the limit, and each runs its share: nobody starts.
    a1!.finish();
    await tick();
    expect([a3!.started, b2.started]).toEqual([false, false]);
    // A freed place goes to the waiting principal running fewest: b (none) before a (one), though a waited longer.
    b1.finish();
    await tick();
    expect([a3!.started, b2.started]).toEqual([false, true]);
    a2!.finish();
    await tick();
    expect([a3!.started, a4!.started]).toEqual([true, false]);
    for (const r of [a3, a4, b2]) r!.finish();
    await tick();
    a4!.finish();
    await Promise.all([a1, a2, a3, a4, b1, b2].map((r) => r!.settled));
    expect([a1, a2, a3, a4, b1, b2].map((r) => r!.outcome)).toEqual(Array(6).fill('done'));
    // Both still count towards the shares for a while (RECENT_MS).
    expect(share.stats()).toEqual({ running: 0, waiting: 0, principals: 2 });
  });

  it('keeps a place free for a principal idle between its requests, until RECENT_MS after its last', async () => {
    let now = 1_000_000;
    const share = new FairShare(() => now);
    const b1 = request(share, 'b', limits);
    await tick();
    b1.finish();
    await b1.settled;
    const [a1, a2] = [request(share, 'a', limits), request(share, 'a', limits)];
    await tick();
    // b is idle but recent: a has its share (one) and the place left is b's.
    expect([a1.started, a2.started]).toEqual([true, false]);
    const b2 = request(share, 'b', limits);
    await tick();
    expect(b2.started).toBe(true);
    b2.finish();
    await b2.settled;
    // Once b has been idle RECENT_MS, a has the whole limit again.
    now += RECENT_MS;
    const a3 = request(share, 'a', limits);
    await tick();
    expect([a2.started, a3.started]).toEqual([true, false]);
    for (const r of [a1, a2, a3]) r.finish();
    await Promise.all([a1, a2, a3].map((r) => r.settled));
  });

  it('refuses a principal whose queue is full, and a request that waited too long, with ThrottlingException', async () => {
    const share = new FairShare();
    const quick: Limits = { ...limits, maxWaitMs: 50 };
    const running = [request(share, 'a', quick), request(share, 'a', quick)];
    const waiting = [1, 2, 3].map(() => request(share, 'a', quick));
    const overflow = request(share, 'a', quick);
    await overflow.settled;
    expect(overflow.outcome).toBeInstanceOf(ThrottlingException);
    expect((overflow.outcome as ThrottlingException).retryAfterSeconds).toBe(1);
    expect((overflow.outcome as Error).message).toMatch(/^You have exceeded the rate at which you may call KMS/);

    await Promise.all(waiting.map((r) => r.settled));
    expect(waiting.map((r) => (r.outcome as Error).message)).toEqual(Array(3).fill(expect.stringContaining('waited 0.05 s')));
    for (const r of running) r.finish();
    await Promise.all(running.map((r) => r.settled));
    expect(share.stats()).toEqual({ running: 0, waiting: 0, principals: 1 });
  });

  it('takes back a place whose request never gave it back (cancelled by the runtime)', async () => {
    let now = 1_000_000;
    const share = new FairShare(() => now);
    const limits: Limits = { concurrency: 2, queue: 3, maxWaitMs: 120_000 };
    const lost = [request(share, 'a', limits), request(share, 'a', limits)]; // never finished
    await tick();
    const waiting = request(share, 'a', limits);
    await tick();
    expect(waiting.started).toBe(false);
    now += 61_000;
    const later = request(share, 'a', limits);
    await tick();
    expect([waiting.started, later.started]).toEqual([true, true]);
    for (const r of [...lost, waiting, later]) r.finish();
    await Promise.all([waiting.settled, later.settled]);
  });
});
