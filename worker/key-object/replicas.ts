import type { Bindings } from '../env';
import { KMSInternalException } from '../errors';
import { keyReplica } from '../stubs';
import type { Result } from '../result';
import type { GrantStore } from './grant-store';
import type { Grant } from './grants';
import type { KeyRecord } from './key-record';
import { replicaCountOf } from './replica-count';
import type { KeyTransactions, ReplicaHooks } from './transaction';
import type { KeyVersions, SealedCopy } from './versions';

/**
 * A hot key served by several Durable Objects (docs/replicas.md has the
 * design and its consistency argument). Replica 0 is the key's own object:
 * it holds the key's state and takes every change. Replicas 1..N-1 hold
 * copies (record, grants, sealed versions) and serve cryptographic requests.
 *
 * A change on replica 0 runs in three steps, all inside its
 * blockConcurrencyWhile: (1) fence: every object that may serve is told the
 * new epoch and stops serving until it holds that epoch's state; (2) the
 * change is made on replica 0; (3) push: the new state, with the epoch, goes
 * to every replica. Only when every replica confirmed step 3 is the change
 * acknowledged. A fence that fails stops the change before it is made; a push
 * that fails leaves the replicas that missed it fenced (they refuse, and the
 * Worker asks replica 0), and replica 0's alarm pushes again until all have it.
 */
const STATE = 'replication';

interface ReplicationState {
  /** 0: the key's own object; 1..15: a replica of it. */
  index: number;
  /** Replica 0: the last epoch it issued. A replica: the epoch of the state it holds (0: none yet). */
  epoch: number;
  /** A replica: the newest epoch it was fenced for; it serves only while it holds that epoch's state. */
  fencedAt: number;
  /** A replica beyond its key's replica count: it keeps its audit chain and record, and serves nothing. */
  retired: boolean;
  /** How many replicas the Worker may route to: all of them in step at the last complete push. */
  serving: number;
  /** Replica 0: objects 1..reach-1 may hold state, so each push (and fence) goes to all of them. */
  reach: number;
  /** Replica 0: objects 1..chains-1 have audit chains: every replica the key ever had. */
  chains: number;
  /** Replica 0: a push some replica has not confirmed; the alarm retries it. */
  pending: boolean;
}

const INITIAL: ReplicationState = { index: 0, epoch: 0, fencedAt: 0, retired: false, serving: 1, reach: 1, chains: 1, pending: false };

/** What replica 0 sends a replica: its whole state at one epoch. */
export interface ReplicaSnapshot {
  epoch: number;
  index: number;
  serving: number;
  retired: boolean;
  record: KeyRecord;
  sealed: SealedCopy;
  grants: Grant[];
}

interface ReplicatedParts {
  ctx: DurableObjectState;
  env: Bindings;
  tx: KeyTransactions;
  versions: KeyVersions;
  grants: GrantStore;
}

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, offset) => from + offset);

export class KeyReplication implements ReplicaHooks {
  private state: ReplicationState = INITIAL;

  constructor(private readonly parts: ReplicatedParts) {}

  async load(): Promise<void> {
    this.state = (await this.parts.ctx.storage.get<ReplicationState>(STATE)) ?? INITIAL;
  }

  get isReplica(): boolean {
    return this.state.index > 0;
  }

  get serving(): number {
    return this.state.serving;
  }

  get pushPending(): boolean {
    return this.state.pending;
  }

  /** Objects 1..chains-1 of the key have audit chains (replica 0 only knows). */
  get chains(): number {
    return this.state.chains;
  }

  chainSource(keyId: string): string {
    return this.isReplica ? `${keyId}#${this.state.index}` : keyId;
  }

  refusal(): Error | undefined {
    const { index, epoch, fencedAt, retired } = this.state;
    if (index === 0) return undefined;
    if (retired) return new KMSInternalException(`Replica ${index} of this key is retired.`);
    if (epoch === 0 || epoch < fencedAt) return new KMSInternalException(`Replica ${index} of this key is behind a change to the key.`);
    return undefined;
  }

  /**
   * Step 1 on a replica. The in-memory state changes before anything is
   * awaited, so no request that starts after the fence arrived is served;
   * it is stored too, so a replica that restarts stays fenced.
   */
  async fence(epoch: number, index: number): Promise<number> {
    // An object that holds a record and is no replica is a key's own object: it is never fenced.
    if (index < 1 || (this.state.index === 0 && this.parts.tx.record !== undefined)) throw new KMSInternalException('Only a replica is fenced.');
    const seen = Math.max(this.state.epoch, this.state.fencedAt);
    this.state = { ...this.state, index, fencedAt: Math.max(this.state.fencedAt, epoch) };
    await this.save();
    // Replica 0 must issue a newer epoch than this replica has seen (after a restore of replica 0 it may not have).
    return seen;
  }

  /**
   * Step 3 on a replica: it takes the snapshot if it is not older than what
   * it holds (pushes of one change can arrive late, after a newer one). It
   * refuses while it writes (fenced for the snapshot's epoch) and serves once
   * the epoch is stored.
   */
  async apply(snapshot: ReplicaSnapshot): Promise<number> {
    if (snapshot.index < 1 || (this.state.index === 0 && this.parts.tx.record !== undefined)) throw new KMSInternalException('Only a replica takes a snapshot.');
    if (snapshot.epoch < Math.max(this.state.epoch, this.state.fencedAt)) return Math.max(this.state.epoch, this.state.fencedAt);
    this.state = { ...this.state, index: snapshot.index, fencedAt: Math.max(this.state.fencedAt, snapshot.epoch) };
    await this.save();
    const { tx, versions, grants } = this.parts;
    // A retired replica keeps its record (its audit chain is still read) but no key material or grants.
    await versions.replaceWith(snapshot.retired ? { versions: [], retiredRoots: [] } : snapshot.sealed);
    grants.replaceAll(snapshot.retired ? [] : snapshot.grants);
    await tx.adopt(snapshot.record);
    this.state = { ...this.state, epoch: snapshot.epoch, serving: snapshot.serving, retired: snapshot.retired };
    await this.save();
    return snapshot.epoch;
  }

  /**
   * A change on replica 0, brought to every replica before it is
   * acknowledged. A key that never had replicas pays nothing: no fence, no
   * push, no write.
   */
  async around<T>(fn: () => Promise<T>): Promise<T> {
    if (this.isReplica) throw new KMSInternalException('A replica takes no changes: they go to replica 0, the key\'s own object.');
    const fenced = range(1, this.state.reach);
    if (fenced.length > 0) await this.fenceAll(fenced);
    let value: T | undefined;
    let failure: { error: unknown } | undefined;
    try {
      value = await fn();
    } catch (error) {
      failure = { error };
    }
    // Pushed even when the change was refused: the fence is lifted by a push only.
    const pushed = await this.push(fenced.length === 0);
    await this.parts.tx.armAlarm();
    if (failure) throw failure.error;
    if (!pushed) {
      throw new KMSInternalException(
        'The change was made on the key, but not every replica of it confirmed it: those refuse to serve until they have it, and it is retried. Retry the request to see it acknowledged.',
      );
    }
    return value as T;
  }

  /**
   * Step 1 from replica 0. A replica that has seen this epoch or a newer one
   * (replica 0 restored from a backup holds an older epoch than its replicas)
   * would not stop serving for it: replica 0 then issues an epoch past every
   * one seen and fences again, so the fence always reaches.
   */
  private async fenceAll(fenced: number[]): Promise<void> {
    for (let round = 0; round < 2; round++) {
      await this.issueEpoch();
      const epoch = this.state.epoch;
      const { failed, values } = await this.send(fenced, (stub, index) => stub.replicaFence(epoch, index));
      if (failed !== undefined) {
        await this.parts.tx.armAlarm();
        throw new KMSInternalException(`Replica ${failed} of the key could not be reached, so the change was not made; retry the request.`);
      }
      const seen = Math.max(...values);
      if (seen < epoch) return;
      this.state = { ...this.state, epoch: seen };
    }
    throw new KMSInternalException('The key\'s replicas could not be fenced, so the change was not made; retry the request.');
  }

  /** Step 3 from replica 0: true once every replica holds the key's current state. */
  private async push(needsEpoch: boolean): Promise<boolean> {
    const record = this.parts.tx.record;
    if (!record) return true;
    const wanted = record.state === 'Deleted' ? 1 : replicaCountOf(record);
    const reach = Math.max(this.state.reach, wanted);
    if (reach <= 1) return true;
    if (needsEpoch) await this.issueEpoch();
    // Fewer replicas serve at once; more only once they all hold the state.
    this.state = { ...this.state, reach, chains: Math.max(this.state.chains, reach), serving: Math.min(this.state.serving, wanted), pending: true };
    await this.save();
    const sealed = await this.parts.versions.sealedCopy();
    const grants = this.parts.grants.all();
    const epoch = this.state.epoch;
    const { failed, values } = await this.send(range(1, reach), (stub, index) =>
      stub.replicaApply({ epoch, index, serving: wanted, retired: index >= wanted, record, sealed, grants }),
    );
    if (failed !== undefined) return false;
    // A replica ahead of this epoch (one replica 0 never fenced since a restore) kept what it had: the next push goes past it.
    const ahead = Math.max(...values);
    if (ahead > epoch) {
      this.state = { ...this.state, epoch: ahead };
      await this.save();
      return false;
    }
    this.state = { ...this.state, reach: wanted, serving: wanted, pending: false };
    await this.save();
    return true;
  }

  private async issueEpoch(): Promise<void> {
    this.state = { ...this.state, epoch: this.state.epoch + 1, pending: true };
    await this.save();
  }

  /** Calls every replica at once: the first that failed or refused, if any, and what each answered. */
  private async send(indices: number[], call: (stub: ReturnType<typeof keyReplica>, index: number) => Promise<Result<number>>): Promise<{ failed?: number; values: number[] }> {
    const record = this.parts.tx.record!;
    const outcomes = await Promise.allSettled(indices.map((index) => call(keyReplica(this.parts.env, record.region, record.keyId, index), index)));
    const failed = outcomes.findIndex((outcome) => outcome.status === 'rejected' || outcome.value.error !== undefined);
    if (failed !== -1) return { failed: indices[failed]!, values: [] };
    return { values: outcomes.map((outcome) => (outcome as PromiseFulfilledResult<Result<number>>).value.value ?? 0) };
  }

  private save(): Promise<void> {
    return this.parts.ctx.storage.put(STATE, this.state);
  }
}
