import type { KeyUsage } from '../crypto/key-specs';
import { InvalidKeyUsageException, UnsupportedOperationException } from '../errors';
import type { KeyRecord } from './key-record';

/** What a key must be for an operation, beyond its state: its usage, or symmetric and its own (rotation). */
export function requireUsage(record: KeyRecord, usage: KeyUsage): void {
  if (record.keyUsage !== usage) {
    throw new InvalidKeyUsageException(`Key usage ${record.keyUsage} of this key does not allow this operation.`);
  }
}

/** Returns the record, so that a check and its use read as one. */
export function requireSymmetric(record: KeyRecord): KeyRecord {
  if (record.keySpec !== 'SYMMETRIC_DEFAULT') {
    throw new UnsupportedOperationException(`This operation is not supported for a ${record.keySpec} key.`);
  }
  // As in AWS KMS: the external key manager, not this service, manages an external key's material.
  if (record.externalKeyStore) throw new UnsupportedOperationException('This operation is not supported for a key in a custom key store.');
  return record;
}
