import { DurableObject } from 'cloudflare:workers';
import type { Bindings } from '../env';
import { AuditChain, type AuditFilter, type ChainPage, type ChainProgress, type ChainVerification, type ChainVerificationPage } from './chain';
import type { AuditEntry } from './record';
import type { AuditHead } from '../../sdk/audit/signed-head';
import type { ArnScope } from '../wire/key-reference';
import { capture, type Result } from '../result';
import { ReceiptSigner, type ReceiptPublicKeyInfo } from './receipt-signer';
import { ThrottledTally, type ThrottledWindow } from './throttled-tally';

/**
 * One AuditLog per account: the trail of requests that reached no key
 * (authentication failures, account-level operations, requests refused before
 * a key was found). Requests that reach a key are recorded in that key's own
 * chain, inside its KeyObject, in the same event as the operation.
 */
export class AuditLog extends DurableObject<Bindings> {
  private chain: AuditChain | undefined;
  /** The account this object serves, once a request has named it. */
  private account: string | undefined;
  private readonly throttled = new ThrottledTally();
  /** The account's service signing key in this region, for receipts (receipt-signer.ts). */
  private readonly signer = new ReceiptSigner(this.ctx.storage, this.env);

  /** The object is addressed by account, and its chain is named after it. */
  private chainOf(account: string): AuditChain {
    this.account ??= account;
    this.chain ??= new AuditChain(this.ctx.storage.sql, accountAuditSource(account));
    return this.chain;
  }

  append(account: string, entry: AuditEntry): void {
    this.chainOf(account).append(entry);
  }

  /**
   * A throttled request (throttled-tally.ts): recorded if it opens its
   * principal's window, else only counted. Writes out the principal's previous
   * window first, and arms the alarm that writes out windows nobody closes.
   */
  async appendThrottled(account: string, entry: AuditEntry): Promise<void> {
    const chain = this.chainOf(account);
    const { record, closed } = this.throttled.note(entry.principal, entry.time);
    for (const window of closed) this.appendCount(chain, account, window);
    if (!record) return;
    chain.append(entry);
    await this.ctx.storage.setAlarm(this.throttled.nextEnd()!);
  }

  /** Writes out every throttled-request window that has ended by `now`; the alarm's work. */
  async flushThrottled(now = Date.now()): Promise<void> {
    const ended = this.throttled.takeEnded(now);
    // A window opens only with a request, which named the account.
    const account = this.account;
    if (account !== undefined) for (const window of ended) this.appendCount(this.chainOf(account), account, window);
    const next = this.throttled.nextEnd();
    if (next !== undefined) await this.ctx.storage.setAlarm(next);
  }

  override async alarm(): Promise<void> {
    await this.flushThrottled();
  }

  /** A bounded page of the account's own chain (chain.ts `page`). */
  page(account: string, filter: AuditFilter, afterSequence: number, limit: number, scanBudget: number): ChainPage {
    return this.chainOf(account).page(filter, afterSequence, limit, scanBudget);
  }

  /** A bounded part of the verification of the account's own chain (chain.ts `verifyPage`). */
  verifyPage(account: string, from: ChainProgress | undefined, budget: number): ChainVerificationPage {
    return this.chainOf(account).verifyPage(from, budget);
  }

  /** The whole chain at once: for operators and tests; the API goes by verifyPage. */
  verify(account: string): ChainVerification {
    return this.chainOf(account).verify();
  }

  /** The public half of the account's receipt signing key (GetReceiptPublicKey). */
  receiptPublicKey(scope: ArnScope, signingKeyId?: string): Promise<Result<ReceiptPublicKeyInfo>> {
    return capture(() => this.signer.publicKey(scope, signingKeyId));
  }

  /** After a root rotation: the signing key moves to the newest root before an older root may be retired. */
  resealReceiptKey(): Promise<Result<void>> {
    return capture(() => this.signer.reseal());
  }

  /**
   * Signs a head of a key's audit chain. Only the service's own code reaches a Durable Object,
   * and only a key's object asks, for the head of its own chain (key-object/audit-proof.ts).
   */
  signAuditHead(scope: ArnScope, head: Omit<AuditHead, 'signingKeyId' | 'account' | 'region'>): Promise<Result<{ head: AuditHead; signature: Uint8Array }>> {
    return capture(() => this.signer.sign(scope, head));
  }

  /** The one record of a window's throttled requests that have none of their own (none if there were none). */
  private appendCount(chain: AuditChain, account: string, window: ThrottledWindow): void {
    if (window.count === 0) return;
    chain.append({
      time: Date.now(),
      requestId: `throttled-${crypto.randomUUID()}`,
      principal: window.principal,
      account,
      operation: THROTTLED_OPERATION,
      outcome: 'Denied',
      errorName: 'ThrottlingException',
      count: window.count,
      windowStart: window.start,
    });
  }
}

/** The operation name of a record that counts throttled requests. */
export const THROTTLED_OPERATION = 'edgekms:Throttled';

/** The name of an account's own chain, as records and verifications report it. */
export function accountAuditSource(account: string): string {
  return `account:${account}`;
}
