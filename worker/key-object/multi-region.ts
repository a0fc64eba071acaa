import type { Caller } from '../auth/caller';
import type { Bindings } from '../env';
import { AlreadyExistsException, NotFoundException, UnsupportedOperationException } from '../errors';
import { isServedRegion } from '../regions';
import { unwrap } from '../result';
import { keyObject } from '../stubs';
import { listKey } from './directory-index';
import type { KeyRecord, Tag, VersionRecord } from './key-record';
import type { LastUsage } from './last-usage';
import { newRecord } from './lifecycle';
import type { KeyTransactions } from './transaction';
import type { KeyVersions } from './versions';

/**
 * Multi-Region keys: one key id, one key material, one member per region.
 * Each member is its own key object in its region's namespace (stubs.ts),
 * with its own policy, tags, description, aliases and enabled state; the
 * primary is the source of what they share (AWS KMS's "shared properties":
 * key material, key spec and usage, automatic rotation) and pushes it to the
 * replicas, object to object, with the material sealed as it is at rest.
 *
 * Every push carries every sealed version, so a replica that missed one
 * (a failed push) catches up on the next; a replica stores only the
 * versions it lacks (versions.ts `adopt`).
 */
export interface MultiRegionConfig {
  primaryRegion: string;
  /** Sorted, without the primary's region. */
  replicaRegions: string[];
}

/** What a primary sends its replicas. */
export interface SharedProperties {
  multiRegion: MultiRegionConfig;
  rotation: KeyRecord['rotation'];
  currentVersion: number;
  versions: VersionRecord[];
}

/** What ReplicateKey asks of the primary. */
export interface ReplicateRequest {
  replicaRegion: string;
  description?: string;
  tags: Tag[];
  policy?: string;
  bypassPolicyLockoutSafetyCheck: boolean;
}

export function isReplica(record: KeyRecord): boolean {
  return record.multiRegion !== undefined && record.multiRegion.primaryRegion !== record.region;
}

function isPrimary(record: KeyRecord): boolean {
  return record.multiRegion !== undefined && record.multiRegion.primaryRegion === record.region;
}

/** Only the primary (or a single-Region key) keeps its own rotation schedule: a replica's versions come from the primary. */
export function rotatesItself(record: KeyRecord): boolean {
  return !isReplica(record);
}

/** A primary scheduled for deletion waits for its replicas' deletion (AWS: PendingReplicaDeletion). */
export function hasReplicas(record: KeyRecord): boolean {
  return isPrimary(record) && record.multiRegion!.replicaRegions.length > 0;
}

function requirePrimary(record: KeyRecord): MultiRegionConfig {
  if (!record.multiRegion) throw new UnsupportedOperationException(`${record.keyId} is not a multi-Region key.`);
  if (!isPrimary(record)) throw new UnsupportedOperationException(`${record.keyId} is a multi-Region replica key; only the primary key in ${record.multiRegion.primaryRegion} can do this.`);
  return record.multiRegion;
}

/** Rotation is a shared property, set on the primary only (AWS KMS refuses it on a replica). */
export function requireNotReplica(record: KeyRecord, what: string): void {
  if (isReplica(record)) throw new UnsupportedOperationException(`${what} is not supported on the multi-Region replica key ${record.keyId}; use the primary key in ${record.multiRegion!.primaryRegion}.`);
}

/** Every region of the key but `region`. */
function peersOf(config: MultiRegionConfig, region: string): string[] {
  return [config.primaryRegion, ...config.replicaRegions].filter((member) => member !== region);
}

const sorted = (regions: string[]) => [...new Set(regions)].sort();

/** The parts of a key's object that multi-Region work uses. */
export interface MemberParts {
  env: Bindings;
  tx: KeyTransactions;
  versions: KeyVersions;
  lastUsage: LastUsage;
}

export class MultiRegionMember {
  constructor(private readonly parts: MemberParts) {}

  /**
   * ReplicateKey on the primary. The replica is created first, in state
   * Creating and listed in its region, then receives the shared properties
   * and material, which enable it; only then does the primary count it as a
   * replica. Runs alone on the primary, so two ReplicateKey calls cannot race.
   */
  replicate(caller: Caller, request: ReplicateRequest) {
    const { env, tx } = this.parts;
    const { replicaRegion } = request;
    return tx.change({ caller, action: 'kms:ReplicateKey', facts: { 'kms:ReplicaRegion': replicaRegion } }, 'enabled', async (record) => {
      const config = requirePrimary(record);
      if (!isServedRegion(env, replicaRegion)) throw new UnsupportedOperationException(`Region ${replicaRegion} is not served by this service.`);
      if (replicaRegion === record.region || config.replicaRegions.includes(replicaRegion)) {
        throw new AlreadyExistsException(`Key '${record.keyId}' already exists in ${replicaRegion}.`);
      }
      const next: MultiRegionConfig = { ...config, replicaRegions: sorted([...config.replicaRegions, replicaRegion]) };
      const replica = keyObject(env, replicaRegion, record.keyId);
      const created = unwrap(await replica.createReplica({ ...caller, region: replicaRegion, keyAccount: record.account }, replicaRecord(record, request, next), request));
      record.multiRegion = next;
      const shared = await this.shared(record);
      unwrap(await replica.receiveShared(shared));
      return { replica: created, shared };
    });
  }

  /**
   * The replica's side of ReplicateKey: its record, in state Creating, under
   * the policy the request gave (the lockout check as at CreateKey), listed
   * in its own region's Directory. A replica left Creating by a failed
   * ReplicateKey is started again by the next one; so is a deleted replica
   * (AWS: replicating to the region again recreates it), whose object keeps
   * its audit chain.
   */
  createReplica(caller: Caller, seed: KeyRecord, request: ReplicateRequest) {
    const { env, tx, lastUsage } = this.parts;
    return tx.mutate(async () => {
      const existing = tx.record;
      if (existing && existing.state !== 'Creating' && existing.state !== 'Deleted') throw new AlreadyExistsException(`Key '${seed.keyId}' already exists in ${seed.region}.`);
      const fresh = newRecord(
        caller,
        {
          keyId: seed.keyId,
          region: seed.region,
          keySpec: seed.keySpec,
          keyUsage: seed.keyUsage,
          description: seed.description,
          tags: seed.tags,
          ...(request.policy !== undefined && { policy: request.policy }),
          bypassPolicyLockoutSafetyCheck: request.bypassPolicyLockoutSafetyCheck,
        },
      );
      const record: KeyRecord = { ...fresh, account: seed.account, state: 'Creating', currentVersion: seed.currentVersion, rotation: seed.rotation, multiRegion: seed.multiRegion! };
      await tx.persist(record);
      await lastUsage.start(record.createdAt);
      await listKey(env, record);
      return record;
    }, { caller, action: 'kms:ReplicateKey' });
  }

  /**
   * A member takes the shared properties its primary sent: the
   * configuration, rotation settings, and any versions it lacks. A replica in
   * Creating becomes Enabled once it holds the material. A deleted member
   * keeps its tombstone.
   */
  receiveShared(shared: SharedProperties) {
    const { tx, versions } = this.parts;
    return tx.mutate(async () => {
      const current = tx.record;
      if (!current || current.state === 'Deleted') return;
      const record = structuredClone(current);
      const adopted = await versions.adopt(shared.versions);
      record.multiRegion = shared.multiRegion;
      record.rotation = shared.rotation;
      record.currentVersion = Math.max(record.currentVersion, shared.currentVersion);
      if (record.state === 'Creating') record.state = 'Enabled';
      await tx.persist(record);
      if (adopted > 0) tx.recordSystemEvent(record, 'edgekms:ReceiveKeyMaterial');
    });
  }

  /**
   * UpdatePrimaryRegion on the primary: the replica in `primaryRegion` is
   * promoted (authorized there too, as AWS KMS requires the permission on
   * both keys), then this key becomes one of its replicas, and every other
   * member hears the new configuration.
   */
  updatePrimaryRegion(caller: Caller, primaryRegion: string) {
    const { env, tx } = this.parts;
    return tx.change({ caller, action: 'kms:UpdatePrimaryRegion', facts: { 'kms:PrimaryRegion': primaryRegion } }, 'enabled', async (record) => {
      const config = requirePrimary(record);
      if (!config.replicaRegions.includes(primaryRegion)) {
        throw new NotFoundException(`Key '${record.keyId}' has no replica in ${primaryRegion}.`);
      }
      const next: MultiRegionConfig = {
        primaryRegion,
        replicaRegions: sorted([...config.replicaRegions.filter((region) => region !== primaryRegion), record.region]),
      };
      unwrap(await keyObject(env, primaryRegion, record.keyId).promote({ ...caller, region: primaryRegion, keyAccount: record.account }, next));
      record.multiRegion = next;
      return this.shared(record);
    });
  }

  /** The new primary's side of UpdatePrimaryRegion. */
  promote(caller: Caller, next: MultiRegionConfig) {
    return this.parts.tx.change({ caller, action: 'kms:UpdatePrimaryRegion', facts: { 'kms:PrimaryRegion': next.primaryRegion } }, 'enabled', (record) => {
      if (!isReplica(record)) throw new UnsupportedOperationException(`${record.keyId} in ${record.region} is not a multi-Region replica key.`);
      record.multiRegion = next;
    });
  }

  /**
   * A replica's deletion window ended: the members forget it. A primary
   * pending its replicas' deletion starts its own waiting period once the
   * last is gone (AWS: PendingReplicaDeletion becomes PendingDeletion).
   */
  forgetReplica(region: string) {
    const { tx } = this.parts;
    return tx.mutate(async () => {
      const current = tx.record;
      if (!current?.multiRegion || current.state === 'Deleted') return undefined;
      const record = structuredClone(current);
      record.multiRegion!.replicaRegions = record.multiRegion!.replicaRegions.filter((member) => member !== region);
      if (record.state === 'PendingReplicaDeletion' && !hasReplicas(record)) {
        record.state = 'PendingDeletion';
        record.deletionDate = Date.now() + record.pendingWindowInDays! * 86_400_000;
      }
      await tx.persist(record);
      return isPrimary(record) ? this.shared(record) : undefined;
    });
  }

  /** What this member sends its peers. */
  async shared(record: KeyRecord): Promise<SharedProperties> {
    return {
      multiRegion: record.multiRegion!,
      rotation: record.rotation,
      currentVersion: record.currentVersion,
      versions: await this.parts.versions.sealedEntries(),
    };
  }

  /**
   * Sends the shared properties to every peer but `except`. A peer that
   * cannot be reached now catches up on the next push; its failure does not
   * undo what the primary did.
   */
  async push(record: KeyRecord, shared: SharedProperties, except: string[] = []): Promise<void> {
    const peers = peersOf(shared.multiRegion, record.region).filter((region) => !except.includes(region));
    await Promise.allSettled(peers.map(async (region) => unwrap(await keyObject(this.parts.env, region, record.keyId).receiveShared(shared))));
  }

  /** After a change on the primary that replicas share (rotation), its replicas hear of it. */
  async share(): Promise<void> {
    const record = this.parts.tx.record;
    if (record && isPrimary(record) && hasReplicas(record)) await this.push(record, await this.shared(record));
  }

  /** At the end of a replica's deletion window, its primary is told (which tells the others). */
  async leave(record: KeyRecord): Promise<void> {
    if (!isReplica(record)) return;
    const shared = unwrap(await keyObject(this.parts.env, record.multiRegion!.primaryRegion, record.keyId).forgetReplica(record.region));
    if (shared) await this.push(record, shared, [shared.multiRegion.primaryRegion]);
  }
}

/** The replica's record as the primary describes it: the shared properties, and the request's own description and tags. */
function replicaRecord(primary: KeyRecord, request: ReplicateRequest, next: MultiRegionConfig): KeyRecord {
  return {
    ...primary,
    region: request.replicaRegion,
    // Not a shared property: AWS KMS gives a replica no description unless the request has one.
    description: request.description ?? '',
    tags: request.tags,
    multiRegion: next,
  };
}
