import type { Caller } from '../auth/caller';
import type { KeySpec, KeyUsage } from '../crypto/key-specs';
import { parsePolicy } from '../policy/document';
import { checkLockout } from './authorize';
import type { KeyRecord, Tag } from './key-record';
import { rotatesItself } from './multi-region';
import { requireSymmetric } from './key-usage';
import { applyTags } from './tags';

/**
 * The changes of a key's life, on a copy of its record that transaction.ts
 * persists: creation, the deletion window, the rotation schedule, and what
 * the key's alarm has to do when it fires.
 */

const DAY = 86_400_000;

export interface CreateKeyRequest {
  keyId: string;
  region: string;
  keySpec: KeySpec;
  keyUsage: KeyUsage;
  description: string;
  tags: Tag[];
  policy?: string;
  bypassPolicyLockoutSafetyCheck?: boolean;
  /** A multi-Region primary's configuration (no replicas yet). */
  multiRegion?: KeyRecord['multiRegion'];
}

/** A new key's record: enabled, version 1, no rotation; the lockout check guards a policy given at creation. */
export function newRecord(caller: Caller, request: CreateKeyRequest): KeyRecord {
  const record: KeyRecord = {
    keyId: request.keyId,
    account: caller.principal.account,
    region: request.region,
    createdAt: Date.now(),
    description: request.description,
    keySpec: request.keySpec,
    keyUsage: request.keyUsage,
    state: 'Enabled',
    tags: applyTags([], request.tags),
    ...(request.policy !== undefined && { policy: request.policy }),
    ...(request.multiRegion && { multiRegion: request.multiRegion }),
    currentVersion: 1,
    rotation: { enabled: false, periodDays: 365 },
  };
  if (request.policy !== undefined) {
    parsePolicy(request.policy);
    if (!request.bypassPolicyLockoutSafetyCheck) checkLockout(caller, record, request.policy);
  }
  return record;
}

export function scheduleDeletion(record: KeyRecord, pendingWindowInDays: number): void {
  record.state = 'PendingDeletion';
  record.deletionDate = Date.now() + pendingWindowInDays * DAY;
  record.pendingWindowInDays = pendingWindowInDays;
}

/** As in AWS KMS, a key rescued from deletion comes back disabled. */
export function cancelDeletion(record: KeyRecord): void {
  record.state = 'Disabled';
  delete record.deletionDate;
  delete record.pendingWindowInDays;
}

export function setPolicy(caller: Caller, record: KeyRecord, policy: string, bypassPolicyLockoutSafetyCheck: boolean): void {
  parsePolicy(policy);
  if (!bypassPolicyLockoutSafetyCheck) checkLockout(caller, record, policy);
  record.policy = policy;
}

export function enableRotation(record: KeyRecord, periodDays: number): void {
  requireSymmetric(record);
  record.rotation = { ...record.rotation, enabled: true, periodDays, nextRotation: Date.now() + periodDays * DAY };
}

export function disableRotation(record: KeyRecord): void {
  requireSymmetric(record);
  record.rotation = { enabled: false, periodDays: record.rotation.periodDays };
}

/** After an automatic rotation, the next one is a period away. */
export function scheduleNextRotation(record: KeyRecord, now: number): void {
  record.rotation.nextRotation = now + record.rotation.periodDays * DAY;
}

/** What the alarm has to do now: end the deletion window, rotate, or nothing (a retry, or a stale alarm). */
export function dueEvent(record: KeyRecord, now: number): 'delete' | 'rotate' | undefined {
  if (record.state === 'PendingDeletion' && record.deletionDate! <= now) return 'delete';
  if (record.state === 'Enabled' && record.rotation.enabled && rotatesItself(record) && record.rotation.nextRotation! <= now) return 'rotate';
  return undefined;
}

/** What stays of a deleted key: a tombstone, so the key id is never reused and its trail stays readable. */
export function tombstone(record: KeyRecord): KeyRecord {
  return { ...record, state: 'Deleted', deletedAt: Date.now(), tags: [], rotation: { enabled: false, periodDays: record.rotation.periodDays } };
}
