import type { AuditReceipt, RequestAudit } from './audit/request-note';
import { reviveError, serializeError, type SerializedError } from './errors';

/**
 * What a Durable Object RPC method returns. Workers RPC does not carry an
 * error's class across the boundary, so refusals travel as data and are
 * re-thrown as the same `KmsError` class on the caller's side.
 */
export interface Result<T> {
  value?: T;
  error?: SerializedError;
  /** Set by a KeyObject when its audit chain recorded the request. */
  audited?: boolean;
  /** With `audited`: the record's place in the key's chain, for the answer's receipt. */
  receipt?: AuditReceipt;
  /** Set by a key replica that is behind its key's latest change and refused unaudited: the Worker asks replica 0 instead (replicas.ts). */
  replicaBehind?: boolean;
  /** Set when more than one replica serves the key: how many the Worker may route its cryptographic requests to. */
  replicas?: number;
}

export async function capture<T>(fn: () => T | Promise<T>): Promise<Result<T>> {
  try {
    return { value: await fn() };
  } catch (error) {
    return { error: serializeError(error) };
  }
}

/** Passes a KeyObject's result through, noting in the request's audit whether the key's chain recorded the request. */
export function recordedBy<R>(result: R, audit: RequestAudit): R {
  const recorded = result as Result<unknown> | undefined;
  if (recorded?.audited) audit.recordedByKey = true;
  if (recorded?.receipt) audit.receipts.push(recorded.receipt);
  return result;
}

export function unwrap<T>(result: Result<T>): T {
  if (result.error) throw reviveError(result.error);
  return result.value as T;
}
