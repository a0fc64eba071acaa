import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { keyAlgorithms, type KeyAlgorithms } from '../crypto/key-specs';
import type { AliasEntry } from '../directory/directory';
import type { GrantConstraints } from '../key-object/grants';
import type { RetirableGrant } from '../key-object/stored-grant';
import type { KeyName, KeyRecord, Tag } from '../key-object/key-record';
import type { LastUsageReport } from '../key-object/last-usage';
import type { Rotation } from '../key-object/versions';
import { aliasArn, keyArn, type ArnScope } from '../wire/key-reference';
import { pageFields, type Page } from '../wire/pagination';

/**
 * The AWS KMS response shapes of what the key object and the Directory return:
 * field names, key ARNs, dates in seconds. The only place they are built, so
 * the objects keep domain values and their storage formats to themselves.
 */

const seconds = (ms: number) => ms / 1000;

/**
 * The AWS `KeyMaterialId` of a key version: 64 hex digits (botocore's
 * BackingKeyIdType), the SHA-256 of the key id and version, so it names one
 * version of one key and says nothing about the material.
 */
export function keyMaterialId(key: KeyName, version: number): string {
  return bytesToHex(sha256(new TextEncoder().encode(`edgekms key material id ${key.keyId} v${version}`)));
}

/** A key's ARN, the `KeyId` of most responses. */
export function arnOf(key: KeyName): string {
  return keyArn(key, key.keyId);
}

/** KeyMetadata's algorithm lists: only those of the key's kind are present, as in AWS KMS. */
function algorithmFields(algorithms: KeyAlgorithms) {
  return {
    ...(algorithms.encryption && { EncryptionAlgorithms: algorithms.encryption }),
    ...(algorithms.signing && { SigningAlgorithms: algorithms.signing }),
    ...(algorithms.mac && { MacAlgorithms: algorithms.mac }),
    ...(algorithms.keyAgreement && { KeyAgreementAlgorithms: algorithms.keyAgreement }),
  };
}

/** The AWS KMS `KeyMetadata` shape of a record. */
export function keyMetadata(record: KeyRecord) {
  return {
    AWSAccountId: record.account,
    KeyId: record.keyId,
    Arn: arnOf(record),
    CreationDate: seconds(record.createdAt),
    Enabled: record.state === 'Enabled',
    Description: record.description,
    KeyUsage: record.keyUsage,
    KeyState: record.state,
    ...(record.deletionDate !== undefined && { DeletionDate: seconds(record.deletionDate) }),
    // AWS: the window is shown while a multi-Region primary waits for its replicas' deletion (no DeletionDate yet).
    ...(record.pendingWindowInDays !== undefined && { PendingDeletionWindowInDays: record.pendingWindowInDays }),
    Origin: 'AWS_KMS',
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: record.keySpec,
    KeySpec: record.keySpec,
    ...algorithmFields(keyAlgorithms(record.keySpec, record.keyUsage)),
    ...multiRegionFields(record),
    // Only keys whose material can rotate have a current key material (AWS: symmetric encryption keys).
    ...(record.keySpec === 'SYMMETRIC_DEFAULT' && { CurrentKeyMaterialId: keyMaterialId(record, record.currentVersion) }),
  };
}

/** `MultiRegion`, and a multi-Region key's `MultiRegionConfiguration`: every member's ARN names its own region. */
function multiRegionFields(record: KeyRecord) {
  const config = record.multiRegion;
  if (!config) return { MultiRegion: false };
  const member = (region: string) => ({ Arn: keyArn({ region, account: record.account }, record.keyId), Region: region });
  return {
    MultiRegion: true,
    MultiRegionConfiguration: {
      MultiRegionKeyType: config.primaryRegion === record.region ? 'PRIMARY' : 'REPLICA',
      PrimaryKey: member(config.primaryRegion),
      ReplicaKeys: config.replicaRegions.map(member),
    },
  };
}

/** A list response's items under `field`, with its `NextMarker`/`Truncated`. */
export function listPage<T, K extends string, U>(field: K, page: Page<T>, shape: (item: T) => U) {
  return { [field]: page.items.map(shape), ...pageFields(page) } as Record<K, U[]> & ReturnType<typeof pageFields>;
}

export function deletionSchedule(record: KeyRecord) {
  return {
    KeyId: arnOf(record),
    // Absent for a multi-Region primary with replicas: its date is known only once the last replica is deleted.
    ...(record.deletionDate !== undefined && { DeletionDate: seconds(record.deletionDate) }),
    KeyState: record.state,
    PendingWindowInDays: record.pendingWindowInDays,
  };
}

export function rotationStatus(record: KeyRecord) {
  const { enabled, periodDays, nextRotation } = record.rotation;
  return {
    KeyId: arnOf(record),
    KeyRotationEnabled: enabled,
    ...(enabled && { RotationPeriodInDays: periodDays }),
    ...(enabled && nextRotation !== undefined && { NextRotationDate: seconds(nextRotation) }),
  };
}

export function rotationEntry(key: KeyName, rotation: Rotation) {
  return {
    KeyId: arnOf(key),
    KeyMaterialId: keyMaterialId(key, rotation.version),
    RotationDate: seconds(rotation.createdAt),
    RotationType: rotation.rotationType,
  };
}

export function publicKeyResponse(record: KeyRecord, publicKey: Uint8Array) {
  const { encryption, signing, keyAgreement } = keyAlgorithms(record.keySpec, record.keyUsage);
  return {
    KeyId: arnOf(record),
    PublicKey: publicKey,
    CustomerMasterKeySpec: record.keySpec,
    KeySpec: record.keySpec,
    KeyUsage: record.keyUsage,
    EncryptionAlgorithms: encryption,
    SigningAlgorithms: signing,
    KeyAgreementAlgorithms: keyAgreement,
  };
}

/** GetKeyLastUsage's answer; `KeyLastUsage` is empty while the key has no use since tracking began. */
export function keyLastUsage(record: KeyRecord, usage: LastUsageReport) {
  return {
    KeyId: record.keyId,
    KeyLastUsage: usage.last ? { Operation: usage.last.operation, Timestamp: seconds(usage.last.time), KmsRequestId: usage.last.requestId } : {},
    TrackingStartDate: seconds(usage.trackingStart),
    KeyCreationDate: seconds(record.createdAt),
  };
}

/** The AWS `GrantListEntry` shape: a grant without its token. */
export function grantListEntry(grant: RetirableGrant) {
  const { constraints } = grant;
  return {
    KeyId: grant.keyArn,
    GrantId: grant.grantId,
    ...(grant.name !== undefined && { Name: grant.name }),
    CreationDate: seconds(grant.createdAt),
    GranteePrincipal: grant.grantee,
    ...(grant.retiringPrincipal !== undefined && { RetiringPrincipal: grant.retiringPrincipal }),
    IssuingAccount: grant.issuingAccount,
    Operations: grant.operations,
    ...(constraints !== undefined && {
      Constraints: {
        ...(constraints.contextSubset !== undefined && { EncryptionContextSubset: constraints.contextSubset }),
        ...(constraints.contextEquals !== undefined && { EncryptionContextEquals: constraints.contextEquals }),
      },
    }),
  };
}

/** AWS's `Tag` shape. */
export function tagEntry(tag: Tag) {
  return { TagKey: tag.key, TagValue: tag.value };
}

/** Tags from a CreateKey or TagResource request, as the key keeps them. */
export function tagsFromWire(tags: { TagKey: string; TagValue: string }[]): Tag[] {
  return tags.map(({ TagKey, TagValue }) => ({ key: TagKey, value: TagValue }));
}

/** CreateGrant's `Constraints` as the key keeps them. */
export function grantConstraints(wire: { EncryptionContextSubset?: Record<string, string>; EncryptionContextEquals?: Record<string, string> }): GrantConstraints {
  return {
    ...(wire.EncryptionContextSubset !== undefined && { contextSubset: wire.EncryptionContextSubset }),
    ...(wire.EncryptionContextEquals !== undefined && { contextEquals: wire.EncryptionContextEquals }),
  };
}

export function aliasListEntry(scope: ArnScope, alias: AliasEntry) {
  return {
    AliasName: alias.aliasName,
    AliasArn: aliasArn(scope, alias.aliasName),
    TargetKeyId: alias.keyId,
    CreationDate: seconds(alias.createdAt),
    LastUpdatedDate: seconds(alias.updatedAt),
  };
}
