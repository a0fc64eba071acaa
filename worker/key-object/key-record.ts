import type { KeySpec, KeyUsage } from '../crypto/key-specs';
import { keyArn } from '../wire/key-reference';
import type { MultiRegionConfig } from './multi-region';

/**
 * What a key's Durable Object keeps about its key (never the material itself).
 * `Creating`: a multi-Region replica whose material has not arrived yet;
 * `PendingReplicaDeletion`: a multi-Region primary scheduled for deletion
 * whose waiting period starts when its last replica is deleted.
 */
export type KeyState = 'Creating' | 'Enabled' | 'Disabled' | 'PendingDeletion' | 'PendingReplicaDeletion' | 'Deleted';

export interface Tag {
  key: string;
  value: string;
}

/** How releases before domain tag names stored a tag: in AWS's Tag shape. */
interface AwsShapedTag {
  TagKey: string;
  TagValue: string;
}

export interface KeyRecord {
  keyId: string;
  account: string;
  region: string;
  createdAt: number;
  description: string;
  keySpec: KeySpec;
  keyUsage: KeyUsage;
  state: KeyState;
  deletionDate?: number;
  pendingWindowInDays?: number;
  deletedAt?: number;
  tags: Tag[];
  /** The key policy as the caller gave it (absent: the default policy of `account`). */
  policy?: string;
  currentVersion: number;
  /** A multi-Region key's primary and replica regions, as this member last heard them (absent: a single-Region key). */
  multiRegion?: MultiRegionConfig;
  rotation: {
    enabled: boolean;
    periodDays: number;
    nextRotation?: number;
    /**
     * Set by records stored before on-demand rotation was known to finish within its request;
     * never read: an on-demand rotation here is done when RotateKeyOnDemand answers, and AWS KMS
     * reports OnDemandRotationStartDate only while one is in progress.
     */
    onDemandStartedAt?: number;
  };
}

/** One version of the key material, sealed; `publicKey` is the SPKI of an asymmetric key. */
export interface VersionRecord {
  version: number;
  createdAt: number;
  rotationType?: 'AUTOMATIC' | 'ON_DEMAND';
  sealed: Uint8Array;
  publicKey?: Uint8Array;
}

/**
 * The record as stored by this release or an earlier one: a record written
 * before tags had domain names keeps them in AWS's Tag shape until its next
 * change persists it in the new one.
 */
export function readKeyRecord(stored: KeyRecord | undefined): KeyRecord | undefined {
  if (!stored) return stored;
  const tags = stored.tags as (Tag | AwsShapedTag)[] | undefined;
  // Loading the record must not fail, or the key could not be used at all.
  if (!tags?.some((tag) => 'TagKey' in tag)) return stored;
  return { ...stored, tags: tags.map((tag) => ('TagKey' in tag ? { key: tag.TagKey, value: tag.TagValue } : tag)) };
}

/** What names a key in ARNs: the part of its record a response needs to say which key answered. */
export type KeyName = Pick<KeyRecord, 'keyId' | 'account' | 'region'>;

export function keyName(record: KeyRecord): KeyName {
  return { keyId: record.keyId, account: record.account, region: record.region };
}

/** The key's ARN: the resource its policy is evaluated against. */
export function recordArn(record: KeyName): string {
  return keyArn(record, record.keyId);
}
