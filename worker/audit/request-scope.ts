import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Tracks, per request, whether a key's own audit chain recorded it. The
 * request audit then writes the account's chain only for requests no key
 * recorded, so each request lands in exactly one chain.
 */
interface AuditScope {
  recordedByKey: boolean;
  /** The key an account-chain record is about, when the request named one (the alias operations). */
  keyId?: string;
}

const scope = new AsyncLocalStorage<AuditScope>();

export function withAuditScope<T>(fn: () => Promise<T>): { run: Promise<T>; scope: AuditScope } {
  const store: AuditScope = { recordedByKey: false };
  return { run: scope.run(store, fn), scope: store };
}

export function noteRecordedByKey(): void {
  const store = scope.getStore();
  if (store) store.recordedByKey = true;
}

export function noteAuditedKey(keyId: string): void {
  const store = scope.getStore();
  if (store) store.keyId = keyId;
}
