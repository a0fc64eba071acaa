import type { KeySpec, KeyUsage } from '../crypto/key-specs';
import { keyArn } from '../wire/key-reference';

/** What a key's Durable Object keeps about its key (never the material itself). */
export type KeyState = 'Enabled' | 'Disabled' | 'PendingDeletion' | 'Deleted';

export interface Tag {
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

/** What names a key in ARNs: the part of its record a response needs to say which key answered. */
export type KeyName = Pick<KeyRecord, 'keyId' | 'account' | 'region'>;

export function keyName(record: KeyRecord): KeyName {
  return { keyId: record.keyId, account: record.account, region: record.region };
}

/** The key's ARN: the resource its policy is evaluated against. */
export function recordArn(record: KeyName): string {
  return keyArn(record, record.keyId);
}
