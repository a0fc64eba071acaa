import type { Bindings } from '../env';
import { unlistKey } from './directory-index';
import type { GrantStore } from './grant-store';
import type { KeyRecord } from './key-record';
import type { LastUsage } from './last-usage';
import * as lifecycle from './lifecycle';
import type { MultiRegionMember } from './multi-region';
import type { KeyTransactions } from './transaction';
import type { KeyVersions } from './versions';

/** The parts of a key's object that its alarm works on. */
export interface ScheduledParts {
  env: Bindings;
  tx: KeyTransactions;
  versions: KeyVersions;
  grants: GrantStore;
  lastUsage: LastUsage;
  /** Absent where a test drives the schedule without one. */
  multiRegion?: MultiRegionMember;
}

/**
 * What a key's one alarm does: automatic rotation, the end of a deletion
 * window, and the re-seal after a root rotation. Durable Objects have one
 * alarm each, so all three share it (transaction.ts arms it for the earliest).
 */
export class KeySchedule {
  /** A multi-Region replica whose deletion window just ended, until its primary has been told. */
  private leaving: KeyRecord | undefined;

  constructor(private readonly parts: ScheduledParts) {}

  async alarm(): Promise<void> {
    const { tx } = this.parts;
    const result = await tx.mutate(async () => {
      // A copy: requests already in flight keep the record they started with.
      if (tx.record && tx.record.state !== 'Deleted') await this.onSchedule(structuredClone(tx.record), Date.now());
    });
    // A failed alarm is retried by the runtime; rethrowing asks for that.
    if (result.error) throw new Error(`${result.error.name}: ${result.error.message}`);
    // After an automatic rotation or a replica's deletion, the other members of a multi-Region key hear of it.
    if (this.leaving) await this.parts.multiRegion?.leave(this.leaving);
    else await this.parts.multiRegion?.share();
    this.leaving = undefined;
    await this.resealStep();
  }

  /** Whether a version awaits the re-seal, and the alarm armed if one does. A missing root secret is left to the requests that need it. */
  async checkReseal(): Promise<void> {
    const { tx, versions } = this.parts;
    const record = tx.record;
    const wanted = record !== undefined && record.state !== 'Deleted' && (await versions.needsReseal().catch(() => false));
    if (wanted === tx.resealPending && !wanted) return;
    tx.resealPending = wanted;
    await tx.armAlarm();
  }

  /**
   * One version per alarm, so a step is short and requests interleave with
   * the re-seal; the alarm re-arms at once while versions remain. A step that
   * fails throws, and the runtime retries the alarm.
   */
  private async resealStep(): Promise<void> {
    const { tx, versions } = this.parts;
    const record = tx.record;
    if (!record || record.state === 'Deleted' || !tx.resealPending) return;
    const moved = await versions.resealNext(record.keyId);
    if (moved !== undefined) tx.recordSystemEvent(record, 'edgekms:ResealKeyMaterial', moved);
    await this.checkReseal();
  }

  private async onSchedule(record: KeyRecord, now: number): Promise<void> {
    const { tx, versions } = this.parts;
    const due = lifecycle.dueEvent(record, now);
    if (due === 'delete') return this.destroy(record);
    if (due === 'rotate') {
      await versions.rotate(record, 'AUTOMATIC');
      lifecycle.scheduleNextRotation(record, now);
      tx.recordSystemEvent(record, 'edgekms:RotateKey');
    }
    // Persisted even when nothing was due: that re-arms the alarm for what is.
    await tx.persist(record);
  }

  /**
   * Ends a deletion window. The directory forgets the key first: if anything
   * after that fails, the alarm is retried and every step repeats harmlessly.
   * What stays is a tombstone (lifecycle.ts).
   */
  private async destroy(record: KeyRecord): Promise<void> {
    const { env, tx, versions, grants, lastUsage } = this.parts;
    await unlistKey(env, record);
    grants.deleteAll();
    await versions.destroyAll();
    await lastUsage.forget();
    await tx.persist(lifecycle.tombstone(record));
    tx.recordSystemEvent(record, 'edgekms:DeleteKeyMaterial');
    this.leaving = record;
  }
}
