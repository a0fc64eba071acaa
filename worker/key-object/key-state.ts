import { DisabledException, KMSInvalidStateException } from '../errors';
import type { KeyRecord } from './key-record';

/**
 * Which key states an operation accepts, as AWS KMS documents them:
 * cryptographic use needs an enabled key; a key pending deletion accepts
 * nothing but reads and CancelKeyDeletion.
 */
/** `anyState` includes a deleted key's tombstone: its audit trail outlives it. */
export type StateRequirement = 'anyState' | 'exists' | 'enabled' | 'notPendingDeletion' | 'pendingDeletion';

export function requireState(record: KeyRecord, requirement: StateRequirement): void {
  const { state, keyId } = record;
  switch (requirement) {
    case 'anyState':
    case 'exists':
      return;
    case 'pendingDeletion':
      if (state !== 'PendingDeletion') throw new KMSInvalidStateException(`Key ${keyId} is not pending deletion (${state}).`);
      return;
    case 'notPendingDeletion':
      if (state === 'PendingDeletion') throw new KMSInvalidStateException(`Key ${keyId} is pending deletion.`);
      return;
    case 'enabled':
      if (state === 'PendingDeletion') throw new KMSInvalidStateException(`Key ${keyId} is pending deletion.`);
      if (state !== 'Enabled') throw new DisabledException(`Key ${keyId} is disabled.`);
  }
}
