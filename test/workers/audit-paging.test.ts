import { evictDurableObject, runInDurableObject, SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditChain } from '../../worker/audit/chain';
import { AUDIT_PAGE_CHAINS, AUDIT_PAGE_SCAN, AUDIT_PAGE_VERIFY } from '../../worker/audit/page-budget';
import { keyStub, mintToken } from './helpers';

/**
 * An account far larger than one request may read: more keys than a page
 * visits, and more records than a page reads or rehashes. Account-wide
 * ListAuditRecords and VerifyAuditChain must answer each request within the
 * budget (audit/page-budget.ts), with a marker for the rest, and paging to
 * the end must cover every chain and record exactly once.
 */
const ACCOUNT = '888800001111';
const KEYS = AUDIT_PAGE_CHAINS + 10;
/** Records written straight into three keys' chains: more than a page of either kind. */
const SEEDED = [Math.max(AUDIT_PAGE_SCAN, AUDIT_PAGE_VERIFY) + 1_000, 1_500, 1_500];
const PRINCIPAL = `arn:aws:sts::${ACCOUNT}:federated-user/auditor`;

let admin: string;
let keyIds: string[];

type Body = Record<string, any>;

async function call(operation: string, body: unknown): Promise<Body> {
  const response = await SELF.fetch(`https://kms.test/v1/${operation}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}` },
    body: JSON.stringify(body),
  });
  const parsed = (await response.json()) as Body;
  expect(response.status, JSON.stringify(parsed).slice(0, 300)).toBe(200);
  return parsed;
}

async function pages(operation: string, body: Body): Promise<Body[]> {
  const all: Body[] = [];
  let marker: string | undefined;
  do {
    const page = await call(operation, { ...body, ...(marker && { Marker: marker }) });
    all.push(page);
    expect(page.Truncated).toBe(page.NextMarker !== undefined);
    marker = page.NextMarker;
    expect(all.length, 'paging ends').toBeLessThan(200);
  } while (marker);
  return all;
}

/** Appends records as the key's own requests would, in one go, then reloads the object so that it sees them. */
async function seed(keyId: string, count: number): Promise<void> {
  const stub = keyStub(keyId);
  await runInDurableObject(stub, (_instance, state) => {
    const chain = new AuditChain(state.storage.sql, keyId);
    const time = Date.now();
    for (let i = 1; i <= count; i++) {
      chain.append({ time, requestId: `seeded-${i}`, principal: PRINCIPAL, account: ACCOUNT, operation: 'kms:Encrypt', keyId, keyVersion: 1, outcome: 'Allowed' });
    }
  });
  await evictDurableObject(stub);
}

async function chainLength(keyId: string): Promise<number> {
  return runInDurableObject(keyStub(keyId), (_instance, state) => state.storage.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM audit').one().n);
}

beforeAll(async () => {
  admin = await mintToken({ sub: 'auditor', account: ACCOUNT, groups: ['kms-admin'] });
  keyIds = [];
  for (let i = 0; i < KEYS; i++) keyIds.push((await call('CreateKey', {})).KeyMetadata.KeyId);
  keyIds.sort();
  // Spread over the walk (key id order): the first, one in the middle, the last.
  for (const [index, count] of [0, Math.floor(KEYS / 2), KEYS - 1].map((at, i) => [at, SEEDED[i]!] as const)) await seed(keyIds[index]!, count);
}, 60_000);

describe('account-wide audit requests over an account larger than a page', () => {
  it('ListAuditRecords reads a bounded slice per request, and paging to the end sees every record once', async () => {
    const listed = await pages('ListAuditRecords', { Limit: 1000 });
    for (const page of listed) {
      expect(page.Records.length).toBeLessThanOrEqual(1000);
      expect(new Set(page.Records.map((record: Body) => record.Source)).size).toBeLessThanOrEqual(AUDIT_PAGE_CHAINS);
    }
    const records = listed.flatMap((page) => page.Records as Body[]);
    const seen = records.map((record) => `${record.Source}#${record.Sequence}`);
    expect(new Set(seen).size, 'no record twice').toBe(seen.length);
    for (const keyId of keyIds) {
      const sequences = records.filter((record) => record.Source === keyId).map((record) => record.Sequence);
      const length = await chainLength(keyId);
      expect(sequences, keyId).toEqual(Array.from({ length }, (_, i) => i + 1));
    }
    const total = SEEDED.reduce((a, b) => a + b, 0) + KEYS;
    expect(records.filter((record) => record.Source !== `account:${ACCOUNT}`)).toHaveLength(total);
    expect(listed.length).toBeGreaterThanOrEqual(Math.ceil(total / 1000));
  });

  it('a filter that matches nothing still answers each request after a bounded read, with a marker to go on', async () => {
    const listed = await pages('ListAuditRecords', { Operation: 'kms:NothingLikeThis', Limit: 1000 });
    expect(listed.flatMap((page) => page.Records)).toEqual([]);
    // Each page reads at most AUDIT_PAGE_SCAN records and AUDIT_PAGE_CHAINS chains, so the walk takes at least this many.
    const total = SEEDED.reduce((a, b) => a + b, 0) + KEYS;
    expect(listed.length).toBeGreaterThanOrEqual(Math.max(Math.ceil(total / AUDIT_PAGE_SCAN), Math.ceil((KEYS + 1) / AUDIT_PAGE_CHAINS)));
    expect(listed[0]!.Truncated).toBe(true);
  });

  it('one key’s trail pages the same way, within the same read budget', async () => {
    const big = keyIds[0]!;
    const listed = await pages('ListAuditRecords', { KeyId: big, Operation: 'kms:NothingLikeThis' });
    expect(listed.length).toBe(Math.ceil((await chainLength(big)) / AUDIT_PAGE_SCAN));
    expect(listed.flatMap((page) => page.Records)).toEqual([]);
    const all = (await pages('ListAuditRecords', { KeyId: big, Limit: 1000 })).flatMap((page) => page.Records as Body[]);
    // Each request is recorded in the key's own chain after its answer: the pages see all but the last one's record.
    expect(all.map((record) => record.Sequence)).toEqual(Array.from({ length: (await chainLength(big)) - 1 }, (_, i) => i + 1));
  });

  it('VerifyAuditChain verifies a bounded amount per request and resumes from its marker; the last page vouches for the whole account', async () => {
    const verified = await pages('VerifyAuditChain', {});
    expect(verified.length).toBeGreaterThan(1);
    let before = 0;
    for (const page of verified.slice(0, -1)) {
      // Until the end, nothing bad found: no verdict, only progress.
      expect(page).not.toHaveProperty('Valid');
      expect(page.RecordsVerified - before).toBeLessThanOrEqual(AUDIT_PAGE_VERIFY);
      expect(page.Chains.length).toBeLessThanOrEqual(AUDIT_PAGE_CHAINS);
      before = page.RecordsVerified;
    }
    const last = verified[verified.length - 1]!;
    const chains = verified.flatMap((page) => page.Chains as Body[]);
    expect(chains.map((chain) => chain.Source).sort()).toEqual([`account:${ACCOUNT}`, ...keyIds].sort());
    expect(chains.every((chain) => chain.Valid)).toBe(true);
    for (const keyId of keyIds) expect(chains.find((chain) => chain.Source === keyId)!.Records).toBe(await chainLength(keyId));
    expect(last).toMatchObject({ Valid: true, Truncated: false, ChainsVerified: KEYS + 1 });
    expect(last.RecordsVerified).toBe(chains.reduce((sum, chain) => sum + chain.Records, 0));
    expect(last).not.toHaveProperty('FirstInvalidRecord');
  });

  it('one key’s chain longer than a page is verified in pages too', async () => {
    const big = keyIds[0]!;
    const verified = await pages('VerifyAuditChain', { KeyId: big });
    // As with listing: the last request's own record comes after its answer.
    const length = (await chainLength(big)) - 1;
    expect(verified.length).toBe(Math.ceil(length / AUDIT_PAGE_VERIFY) + (length % AUDIT_PAGE_VERIFY === 0 ? 1 : 0));
    expect(verified[0]).toMatchObject({ Truncated: true, Chains: [], ChainsVerified: 0, RecordsVerified: AUDIT_PAGE_VERIFY });
    expect(verified[0]).not.toHaveProperty('Valid');
    expect(verified[verified.length - 1]).toMatchObject({
      Valid: true,
      Truncated: false,
      Chains: [{ Source: big, Records: length, Valid: true }],
      ChainsVerified: 1,
      RecordsVerified: length,
    });
  });

  it('a marker the service did not issue, or issued for another walk, is refused', async () => {
    const first = await call('VerifyAuditChain', {});
    const marker = first.NextMarker as string;
    const bytes = Uint8Array.fromBase64(marker, { alphabet: 'base64url' });
    bytes[5]! ^= 1;
    const edited = bytes.toBase64({ alphabet: 'base64url', omitPadding: true });
    for (const body of [{ Marker: edited }, { Marker: marker, KeyId: keyIds[0] }, { Marker: 'bm9wZQ' }]) {
      const response = await SELF.fetch('https://kms.test/v1/VerifyAuditChain', { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: JSON.stringify(body) });
      expect(response.status).toBe(400);
      expect(((await response.json()) as Body).__type).toBe('InvalidMarkerException');
    }
  });

  // Last: it edits a record.
  it('a record edited in one key’s chain is named at the end of the paged verification, and the rest is still verified', async () => {
    const tampered = keyIds[Math.floor(KEYS / 2)]!;
    await runInDurableObject(keyStub(tampered), (_instance, state) => {
      state.storage.sql.exec("UPDATE audit SET outcome = 'Denied' WHERE seq = 700");
    });
    const verified = await pages('VerifyAuditChain', {});
    const broken = verified.findIndex((page) => page.Chains.some((chain: Body) => chain.Source === tampered));
    expect(broken).toBeGreaterThanOrEqual(0);
    // Once found, every later page says so: the verdict is already certain.
    for (const page of verified.slice(broken)) {
      expect(page).toMatchObject({ Valid: false, FirstInvalidRecord: { Source: tampered, Sequence: 700 } });
    }
    const last = verified[verified.length - 1]!;
    expect(last.FirstInvalidRecord).toEqual({ Source: tampered, Sequence: 700, RequestId: 'seeded-699', Reason: expect.stringContaining('edited') });
    expect(last.ChainsVerified).toBe(KEYS + 1);
    const chains = verified.flatMap((page) => page.Chains as Body[]);
    expect(chains.filter((chain) => !chain.Valid)).toEqual([
      { Source: tampered, Records: 699, Valid: false, FirstInvalidRecord: { Sequence: 700, RequestId: 'seeded-699', Reason: expect.stringContaining('edited') } },
    ]);
  });
});
