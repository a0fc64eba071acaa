import { DurableObject } from 'cloudflare:workers';
import type { Bindings } from '../env';
import { AuditChain, type AuditFilter, type AuditPosition, type ChainVerification } from './chain';
import type { AuditEntry, AuditRecord } from './record';

/**
 * One AuditLog per account: the trail of requests that reached no key
 * (authentication failures, account-level operations, requests refused before
 * a key was found). Requests that reach a key are recorded in that key's own
 * chain, inside its KeyObject, in the same event as the operation.
 */
export class AuditLog extends DurableObject<Bindings> {
  private chain: AuditChain | undefined;

  /** The object is addressed by account, and its chain is named after it. */
  private chainOf(account: string): AuditChain {
    this.chain ??= new AuditChain(this.ctx.storage.sql, accountAuditSource(account));
    return this.chain;
  }

  append(account: string, entry: AuditEntry): void {
    this.chainOf(account).append(entry);
  }

  query(account: string, filter: AuditFilter, after: AuditPosition | undefined, limit: number): AuditRecord[] {
    return this.chainOf(account).query(filter, after, limit);
  }

  verify(account: string): ChainVerification {
    return this.chainOf(account).verify();
  }
}

/** The name of an account's own chain, as records and verifications report it. */
export function accountAuditSource(account: string): string {
  return `account:${account}`;
}
