import type { Caller } from '../auth/caller';
import { AuditChain } from '../audit/chain';
import { auditEntry } from '../audit/entry';
import type { RequestFacts } from '../policy/request-keys';
import { NotFoundException, serializeError } from '../errors';
import { capture, type Result } from '../result';
import { authorize } from './authorize';
import type { GrantStore } from './grant-store';
import type { Grant } from './grants';
import { readKeyRecord, type KeyRecord } from './key-record';
import { requireState, type StateRequirement } from './key-state';
import { importDueTimes } from './import-state';
import { rotatesItself } from './multi-region';

const RECORD = 'key';

/**
 * What a key's replicas (replicas.ts) need of its transactions: a replica
 * that is behind its key's latest change refuses before anything is decided
 * or audited (the Worker asks replica 0 instead); every state change on
 * replica 0 is wrapped so that it reaches every replica before it is
 * acknowledged; and answers say how many replicas the Worker may route to.
 */
export interface ReplicaHooks {
  /** The refusal of a replica that must not serve now, or undefined. */
  refusal(): Error | undefined;
  /** Runs one state change of replica 0 and brings every replica in step with it; throws if it could not. */
  around<T>(fn: () => Promise<T>): Promise<T>;
  /** How many replicas serve the key (1: the Worker routes only to replica 0). */
  readonly serving: number;
  /** The name of this object's audit chain: the key id on replica 0, `<key id>#<index>` on a replica. */
  chainSource(keyId: string): string;
  /** Replica 0 has a push to retry on its alarm. */
  readonly pushPending: boolean;
}

/** What the audit record of a request says besides its outcome. */
export interface AuditContext {
  caller: Caller;
  action: string;
  facts?: RequestFacts | undefined;
  /** The key version the request used, when not the current one (a Decrypt of an older blob). */
  keyVersion?: number | undefined;
  /** The operation the record names, when not the action it is authorized as (GetAuditInclusionProof, as ListAuditRecords). */
  operation?: string;
}

/**
 * Whether the key lives in the account the caller's reference named (a bare
 * id names the caller's own) and in the region the request acts in. The
 * Worker has checked both in the Directory; the object checks them again
 * against its own record.
 */
function inNamedAccount(record: KeyRecord, caller: Caller): boolean {
  const inRegion = caller.region === undefined || record.region === caller.region;
  return inRegion && record.account === (caller.keyAccount ?? caller.principal.account);
}

/**
 * The key's record and audit trail, and the one way to act on them: load the
 * record, authorize the caller and check the key state, act, then append the
 * request's audit record, whatever its outcome, before the result leaves the
 * object. State changes run alone inside blockConcurrencyWhile, so a saved
 * change always has its audit record and no request sees half of one.
 */
export class KeyTransactions {
  private current: KeyRecord | undefined;
  private chain: AuditChain | undefined;
  /** Set by the key object; absent in tests that drive transactions alone. */
  replication: ReplicaHooks | undefined;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly grants: GrantStore,
  ) {}

  async load(): Promise<void> {
    this.current = readKeyRecord(await this.ctx.storage.get<KeyRecord>(RECORD));
  }

  /** The record as last persisted (undefined before the key is created). */
  get record(): KeyRecord | undefined {
    return this.current;
  }

  /** Runs a read-only operation; crypto operations may interleave freely. */
  async read<T>(audit: AuditContext, requirement: StateRequirement, fn: (record: KeyRecord) => T | Promise<T>): Promise<Result<T>> {
    const refusal = this.replication?.refusal();
    if (refusal) return { error: serializeError(refusal), replicaBehind: true };
    const result = await capture(() => fn(this.admit(audit.caller, audit.action, requirement, audit.facts)));
    const serving = this.replication?.serving ?? 1;
    if (serving > 1) result.replicas = serving;
    return this.recordAudit(result, audit);
  }

  /** Runs a state change alone on a copy of the record, then persists it and re-arms the alarm. */
  change<T>(audit: AuditContext, requirement: StateRequirement, fn: (record: KeyRecord) => T | Promise<T>): Promise<Result<T>> {
    return this.mutate(async () => {
      const record = structuredClone(this.admit(audit.caller, audit.action, requirement, audit.facts));
      const value = await fn(record);
      await this.persist(record);
      return value;
    }, audit);
  }

  /**
   * Serializes state changes: no new request starts while a rotation holds
   * the version counter. The audit record is appended inside the same block,
   * so a saved change always has its record. The callback never throws,
   * which would reset the object.
   */
  async mutate<T>(fn: () => Promise<T>, audit?: AuditContext): Promise<Result<T>> {
    let result: Result<T> | undefined;
    await this.ctx.blockConcurrencyWhile(async () => {
      const replication = this.replication;
      result = await capture(replication ? () => replication.around(fn) : fn);
      if (audit) this.recordAudit(result, audit);
    });
    return result!;
  }

  /** The key if the caller may take `action` on it in its present state; throws the refusal otherwise. */
  admit(caller: Caller, action: string, requirement: StateRequirement, facts?: RequestFacts): KeyRecord {
    return this.admitWithGrant(caller, action, requirement, facts).record;
  }

  /** As `admit`, and the grant that allowed the request if a grant did (CreateGrant under a grant may only narrow it). */
  admitWithGrant(caller: Caller, action: string, requirement: StateRequirement, facts?: RequestFacts): { record: KeyRecord; grant: Grant | undefined } {
    const record = this.existing(caller, { evenDeleted: requirement === 'anyState' });
    const grant = authorize(caller, action, record, facts, this.grants.naming(caller.principal));
    requireState(record, requirement);
    return { record, grant };
  }

  /**
   * The key, if it exists and lives in the account the caller's reference
   * named: a key id or ARN never reaches another account's key.
   */
  existing(caller: Caller, { evenDeleted = false } = {}): KeyRecord {
    const record = this.current;
    if (!record || (record.state === 'Deleted' && !evenDeleted) || !inNamedAccount(record, caller)) {
      throw new NotFoundException('Key not found.');
    }
    return record;
  }

  /**
   * Set by the key object while a version is sealed under an older root key
   * than the newest: the re-seal then runs on the key's one alarm, at once,
   * before the deletion window or rotation it shares the alarm with.
   */
  resealPending = false;

  async persist(record: KeyRecord): Promise<void> {
    await this.ctx.storage.put(RECORD, record);
    this.current = record;
    await this.armAlarm();
  }

  /** A replica takes replica 0's record as it is: stored and in force, with no alarm of its own (replica 0 runs the key's schedule). */
  async adopt(record: KeyRecord): Promise<void> {
    await this.ctx.storage.put(RECORD, record);
    this.current = record;
  }

  /** A Durable Object has one alarm: it is set for the earliest of what the key has due. */
  async armAlarm(): Promise<void> {
    const record = this.current;
    if (!record) return;
    const due = [
      record.state === 'PendingDeletion' ? record.deletionDate : undefined,
      record.state === 'Enabled' && record.rotation.enabled && rotatesItself(record) ? record.rotation.nextRotation : undefined,
      // A moment ahead: an alarm set for the very time of the alarm now running is dropped when it ends.
      this.resealPending && record.state !== 'Deleted' ? Date.now() + 1 : undefined,
      // A push to the key's replicas that failed is retried a second later (replicas.ts).
      this.replication?.pushPending ? Date.now() + 1000 : undefined,
      ...importDueTimes(record),
    ].filter((time): time is number => time !== undefined);
    if (due.length > 0) await this.ctx.storage.setAlarm(Math.min(...due));
    else await this.ctx.storage.deleteAlarm();
  }

  /** The key's audit chain, for its own pages and verification. */
  trail(record: KeyRecord): AuditChain {
    this.chain ??= new AuditChain(this.ctx.storage.sql, this.replication?.chainSource(record.keyId) ?? record.keyId);
    return this.chain;
  }

  /**
   * The key's trail for the account-wide walk, which reads every key's chain a
   * bounded page at a time; a key of another account, or none, has no page.
   */
  accountTrail(account: string): AuditChain | undefined {
    const record = this.current;
    return record && record.account === account ? this.trail(record) : undefined;
  }

  /** Things the key does on its own schedule are in its trail too. */
  recordSystemEvent(record: KeyRecord, operation: string, keyVersion = record.currentVersion): void {
    const request = { requestId: `alarm-${crypto.randomUUID()}`, via: 'native' as const };
    this.trail(record).append({
      ...auditEntry({ request }, operation, undefined, { keyId: record.keyId, keyVersion }),
      principal: 'edgekms:system',
      account: record.account,
    });
  }

  /**
   * Appends the request to this key's audit chain once its outcome is known,
   * allowed or not, before the result leaves the object. A key that does not
   * exist records nothing: the Worker records such requests in the account's chain.
   * Neither does a key of another account than the reference named: to that
   * caller it does not exist (`existing`), so the request belongs in the
   * caller's own account chain, and outsiders cannot write into this key's trail.
   */
  private recordAudit<T>(result: Result<T>, { caller, action, facts, keyVersion, operation }: AuditContext): Result<T> {
    const record = this.current;
    if (!record || !inNamedAccount(record, caller)) return result;
    const appended = this.trail(record).append(
      auditEntry(caller, operation ?? action, result.error, {
        keyId: record.keyId,
        keyVersion: keyVersion ?? record.currentVersion,
        ...(facts?.encryptionContext && { encryptionContext: facts.encryptionContext }),
      }),
    );
    result.audited = true;
    // The receipt of the answer (operations/receipts.ts): where the record is, and its hash.
    result.receipt = { keyId: record.keyId, chain: this.trail(record).source, account: record.account, region: record.region, sequence: appended.sequence, hash: appended.hash };
    return result;
  }
}
