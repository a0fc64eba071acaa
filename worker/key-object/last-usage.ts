import type { Caller } from '../auth/caller';
import type { Result } from '../result';

/**
 * GetKeyLastUsage: the key's last successful cryptographic operation. It
 * is noted in memory on every such request and written to storage only when
 * the stored one is LAST_USAGE_WRITE_INTERVAL_MS old or more, so a hot key
 * costs one extra write a minute, not one per request. The object answers
 * from memory, so while it runs the answer is exact; after a restart (an
 * evicted object, a deploy) it is the last use stored, at most that interval
 * older than the true one. AWS KMS itself documents the figure as
 * eventually consistent.
 */
export const LAST_USAGE_WRITE_INTERVAL_MS = 60_000;

const STORAGE_KEY = 'last-usage';

/** The operations AWS KMS tracks (KeyLastUsageTrackingOperation); ReEncrypt counts on both keys. */
export type TrackedOperation =
  | 'Decrypt'
  | 'DeriveSharedSecret'
  | 'Encrypt'
  | 'GenerateDataKey'
  | 'GenerateDataKeyPair'
  | 'GenerateDataKeyPairWithoutPlaintext'
  | 'GenerateDataKeyWithoutPlaintext'
  | 'GenerateMac'
  | 'ReEncrypt'
  | 'Sign'
  | 'Verify'
  | 'VerifyMac';

export interface KeyUse {
  operation: TrackedOperation;
  time: number;
  requestId: string;
}

export interface LastUsageReport {
  /** When tracking began for this key: its creation, or, for a key made before tracking existed, its first use or query since. */
  trackingStart: number;
  last?: KeyUse;
}

export class LastUsage {
  private report: LastUsageReport | undefined;
  /** The time of the use last written to storage. */
  private storedAt = -Infinity;

  constructor(private readonly storage: DurableObjectStorage) {}

  async load(): Promise<void> {
    this.report = await this.storage.get<LastUsageReport>(STORAGE_KEY);
    this.storedAt = this.report?.last?.time ?? -Infinity;
  }

  /** A new key starts its tracking at its creation. */
  start(createdAt: number): Promise<void> {
    this.report = { trackingStart: createdAt };
    return this.storage.put(STORAGE_KEY, this.report);
  }

  /** Notes a successful use; writes it only if the stored one is old enough (see above). */
  note(operation: TrackedOperation, requestId: string, now = Date.now()): void {
    const report = (this.report ??= { trackingStart: now });
    report.last = { operation, time: now, requestId };
    if (now - this.storedAt >= LAST_USAGE_WRITE_INTERVAL_MS) {
      this.storedAt = now;
      // Not awaited: the runtime's output gate holds this request's response until the write is durable.
      void this.storage.put(STORAGE_KEY, report);
    }
  }

  /** Notes a successful cryptographic operation (for GetKeyLastUsage), and passes its result on. */
  async track<T>(operation: TrackedOperation, caller: Caller, pending: Promise<Result<T>>): Promise<Result<T>> {
    const result = await pending;
    if (!result.error) this.note(operation, caller.request.requestId);
    return result;
  }

  /** The end of a deletion window: the tombstone keeps nothing of the key's use. */
  async forget(): Promise<void> {
    this.report = undefined;
    this.storedAt = -Infinity;
    await this.storage.delete(STORAGE_KEY);
  }

  /** What GetKeyLastUsage reports; a key made before tracking existed starts it now. */
  current(now = Date.now()): LastUsageReport {
    if (!this.report) {
      this.report = { trackingStart: now };
      void this.storage.put(STORAGE_KEY, this.report);
    }
    return structuredClone(this.report);
  }
}
