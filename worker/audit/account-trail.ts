import type { Bindings } from '../env';
import { auditLog, directory, keyObject } from '../stubs';
import type { ArnScope } from '../wire/key-reference';
import { accountAuditSource } from './audit-log';
import type { AuditFilter, ChainPage, ChainProgress, ChainVerification, ChainVerificationPage, InvalidRecord } from './chain';
import { AUDIT_PAGE_CHAINS, AUDIT_PAGE_MILLIS, AUDIT_PAGE_SCAN, AUDIT_PAGE_VERIFY } from './page-budget';
import type { AuditRecord } from './record';

/**
 * The account-wide audit trail of one region (as AWS KMS, an account's keys
 * and their trails are per region), walked a bounded slice per request: the
 * account's own chain in that region first, then each key's chain in key id
 * order, each in sequence order. A request stops at the first bound of
 * page-budget.ts it reaches and says where to go on, so its cost never grows
 * with the account.
 */

/** In a cursor, the account's own chain; every other source is a key id, never empty. */
export const ACCOUNT_CHAIN = '';

/** Where a listing goes on: after `afterSequence` in the chain `source`. */
export interface TrailCursor {
  source: string;
  afterSequence: number;
}

export type SourcedRecord = AuditRecord & { source: string };

/** How far a verification of the account has got, carried from page to page in its (sealed) marker. */
export interface VerificationState {
  /** The chain being verified. */
  source: string;
  /** Within it, the last record found intact; absent at its start. */
  progress?: ChainProgress;
  /** Records of that chain found intact on earlier pages. */
  chainRecords: number;
  /** Chains verified to their end (or to their first bad record), over all pages so far. */
  chainsVerified: number;
  /** Records found intact, over all pages so far. */
  recordsVerified: number;
  /** The first record found not intact, in walking order. */
  firstInvalid?: InvalidRecord & { source: string };
}

export interface VerificationPage {
  /** The chains finished on this page. */
  chains: ChainVerification[];
  state: VerificationState;
  /** Whether every chain of the account has been verified. */
  done: boolean;
}

/** The name a chain goes by in records and verifications. */
export function sourceName(account: string, source: string): string {
  return source === ACCOUNT_CHAIN ? accountAuditSource(account) : source;
}

/**
 * The chains of an account in walking order, read from its Directory a
 * bounded batch at a time. A cursor naming a key that is not the account's
 * (gone, or never was) goes on at the next key instead: a marker can only
 * lead to the account's own keys.
 */
class SourceWalk {
  private readonly queue: string[] = [];
  private listedTo = ACCOUNT_CHAIN;
  private exhausted = false;

  constructor(
    private readonly env: Bindings,
    private readonly scope: ArnScope,
  ) {}

  async start(source: string): Promise<string | undefined> {
    if (source === ACCOUNT_CHAIN) return ACCOUNT_CHAIN;
    await this.fill(source, true);
    return this.queue.shift();
  }

  async next(): Promise<string | undefined> {
    if (this.queue.length === 0 && !this.exhausted) await this.fill(this.listedTo, false);
    return this.queue.shift();
  }

  private async fill(from: string, inclusive: boolean): Promise<void> {
    const keys = await directory(this.env, this.scope).auditSources(from, AUDIT_PAGE_CHAINS, { inclusive });
    this.queue.push(...keys);
    this.exhausted = keys.length < AUDIT_PAGE_CHAINS;
    this.listedTo = keys[keys.length - 1] ?? from;
  }
}

function readChain(env: Bindings, scope: ArnScope, source: string, filter: AuditFilter, afterSequence: number, limit: number, scanBudget: number): Promise<ChainPage | undefined> {
  return source === ACCOUNT_CHAIN
    ? auditLog(env, scope).page(scope.account, filter, afterSequence, limit, scanBudget)
    : keyObject(env, scope.region, source).accountAuditPage(scope.account, filter, afterSequence, limit, scanBudget);
}

function verifyChain(env: Bindings, scope: ArnScope, source: string, from: ChainProgress | undefined, budget: number): Promise<ChainVerificationPage | undefined> {
  return source === ACCOUNT_CHAIN
    ? auditLog(env, scope).verifyPage(scope.account, from, budget)
    : keyObject(env, scope.region, source).accountAuditVerify(scope.account, from, budget);
}

/** Counts the chains a request has read and the time it has taken, and says when it must stop. */
class RequestBudget {
  private readonly startedAt = Date.now();
  chains = 0;
  records = 0;

  constructor(private readonly maxRecords: number) {}

  get remaining(): number {
    return this.maxRecords - this.records;
  }

  spent(): boolean {
    return this.chains >= AUDIT_PAGE_CHAINS || this.records >= this.maxRecords || Date.now() - this.startedAt >= AUDIT_PAGE_MILLIS;
  }
}

/** Up to `limit` records from `cursor` on (the start without it), and where the next page goes on, if anywhere. */
export async function listAccountTrail(
  env: Bindings,
  scope: ArnScope,
  filter: AuditFilter,
  cursor: TrailCursor | undefined,
  limit: number,
): Promise<{ records: SourcedRecord[]; next?: TrailCursor }> {
  const walk = new SourceWalk(env, scope);
  const budget = new RequestBudget(AUDIT_PAGE_SCAN);
  let source = await walk.start(cursor?.source ?? ACCOUNT_CHAIN);
  let afterSequence = cursor && source === cursor.source ? cursor.afterSequence : 0;
  const records: SourcedRecord[] = [];
  while (source !== undefined) {
    if (records.length >= limit || budget.spent()) return { records, next: { source, afterSequence } };
    const page = await readChain(env, scope, source, filter, afterSequence, limit - records.length, budget.remaining);
    budget.chains++;
    if (page) {
      budget.records += page.scanned;
      const name = sourceName(scope.account, source);
      for (const record of page.records) records.push({ ...record, source: name });
      if (page.resumeAfter !== undefined) {
        afterSequence = page.resumeAfter;
        continue;
      }
    }
    source = await walk.next();
    afterSequence = 0;
  }
  return { records };
}

/** Verifies the account's chains on from `state` (the start without it), as far as one request's budget goes. */
export async function verifyAccountTrail(env: Bindings, scope: ArnScope, state: VerificationState | undefined): Promise<VerificationPage> {
  const walk = new SourceWalk(env, scope);
  const budget = new RequestBudget(AUDIT_PAGE_VERIFY);
  const so = state ?? { source: ACCOUNT_CHAIN, chainRecords: 0, chainsVerified: 0, recordsVerified: 0 };
  let { progress, chainRecords, chainsVerified, recordsVerified, firstInvalid } = so;
  let source = await walk.start(so.source);
  if (source !== so.source) {
    progress = undefined;
    chainRecords = 0;
  }
  const chains: ChainVerification[] = [];
  const snapshot = (current: string): VerificationState => ({
    source: current,
    ...(progress && { progress }),
    chainRecords,
    chainsVerified,
    recordsVerified,
    ...(firstInvalid && { firstInvalid }),
  });
  while (source !== undefined) {
    if (budget.spent()) return { chains, state: snapshot(source), done: false };
    const page = await verifyChain(env, scope, source, progress, budget.remaining);
    budget.chains++;
    if (page) {
      budget.records += page.verified;
      chainRecords += page.verified;
      recordsVerified += page.verified;
      if (page.next) {
        progress = page.next;
        continue;
      }
      const name = sourceName(scope.account, source);
      chains.push({ source: name, records: chainRecords, valid: !page.firstInvalid, ...(page.firstInvalid && { firstInvalid: page.firstInvalid }) });
      chainsVerified++;
      if (page.firstInvalid && !firstInvalid) firstInvalid = { source: name, ...page.firstInvalid };
    }
    source = await walk.next();
    progress = undefined;
    chainRecords = 0;
  }
  return { chains, state: snapshot(ACCOUNT_CHAIN), done: true };
}
