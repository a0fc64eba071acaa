import { keyAlgorithms, type KeySpec, type KeyUsage } from '../crypto/key-specs';
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

const seconds = (ms: number) => ms / 1000;

export function recordArn(record: KeyRecord): string {
  return keyArn(record, record.keyId);
}

/** The AWS KMS `KeyMetadata` shape of a record. */
export function keyMetadata(record: KeyRecord) {
  return {
    AWSAccountId: record.account,
    KeyId: record.keyId,
    Arn: recordArn(record),
    CreationDate: seconds(record.createdAt),
    Enabled: record.state === 'Enabled',
    Description: record.description,
    KeyUsage: record.keyUsage,
    KeyState: record.state,
    ...(record.deletionDate !== undefined && {
      DeletionDate: seconds(record.deletionDate),
      PendingDeletionWindowInDays: record.pendingWindowInDays,
    }),
    Origin: 'AWS_KMS',
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: record.keySpec,
    KeySpec: record.keySpec,
    ...keyAlgorithms(record.keySpec, record.keyUsage),
    MultiRegion: false,
    CurrentKeyMaterialId: String(record.currentVersion),
  };
}

export type KeyMetadata = ReturnType<typeof keyMetadata>;
