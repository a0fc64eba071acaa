import { KMSInvalidStateException, UnsupportedOperationException } from '../errors';
import { recordArn, type KeyRecord } from './key-record';

/**
 * What a key's origin means for its record (AWS KMS, "Importing key
 * material"): an EXTERNAL key is created without material, in PendingImport;
 * it is usable while imported material is present, and returns to
 * PendingImport when the material is deleted or expires. Pure functions of
 * the record, shared by lifecycle.ts, schedule.ts and imports.ts.
 */

/** Whether the key holds material now: always for generated material; for EXTERNAL keys, between an import and its deletion or expiry. */
export function holdsMaterial(record: KeyRecord): boolean {
  return record.origin !== 'EXTERNAL' || record.imported?.present === true;
}

/** AWS KMS's answer to an import operation on a key that generated its own material. */
export function requireExternal(record: KeyRecord): KeyRecord {
  if (record.origin !== 'EXTERNAL') {
    throw new UnsupportedOperationException(`${recordArn(record)} origin is AWS_KMS which is not valid for this operation.`);
  }
  return record;
}

/** Rotation makes new material, which an EXTERNAL key can only be given (AWS: no automatic rotation of imported keys). */
export function requireGeneratedMaterial(record: KeyRecord): KeyRecord {
  if (record.origin === 'EXTERNAL') {
    throw new UnsupportedOperationException(`${recordArn(record)} origin is EXTERNAL which is not valid for this operation.`);
  }
  return record;
}

/** ImportKeyMaterial takes a key in PendingImport, or an Enabled one (a re-import that changes the expiration). */
export function requireImportable(record: KeyRecord): void {
  if (record.state === 'PendingImport' || record.state === 'Enabled') return;
  const arn = recordArn(record);
  throw new KMSInvalidStateException(record.state === 'PendingDeletion' ? `${arn} is pending deletion.` : `${arn} is disabled.`);
}

/** The material is gone (deleted or expired): a key pending deletion stays so, any other returns to PendingImport. */
export function loseMaterial(record: KeyRecord): void {
  if (!record.imported) return;
  record.imported = { ...record.imported, present: false };
  delete record.imported.validTo;
  if (record.state !== 'PendingDeletion') record.state = 'PendingImport';
}

/** Whether the alarm has to delete expired material now. */
export function materialExpired(record: KeyRecord, now: number): boolean {
  const validTo = record.imported?.present ? record.imported.validTo : undefined;
  return record.state !== 'Deleted' && validTo !== undefined && validTo <= now;
}

/** The times the key's alarm has to wake for imported material: its expiry, and the end of the earliest open import token. */
export function importDueTimes(record: KeyRecord): number[] {
  if (record.origin !== 'EXTERNAL' || record.state === 'Deleted') return [];
  const validTo = record.imported?.present ? record.imported.validTo : undefined;
  return [validTo, record.importTokensExpireAt].filter((time): time is number => time !== undefined);
}
