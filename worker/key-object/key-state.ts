import { DisabledException, KMSInvalidStateException } from '../errors';
import type { KeyRecord } from './key-record';

/**
 * Which key states an operation accepts, as AWS KMS documents them:
 * cryptographic use needs an enabled key; a key pending deletion accepts
 * nothing but reads and CancelKeyDeletion.
 */
/** `anyState` includes a deleted key's tombstone: its audit trail outlives it. */
export type StateRequirement = 'anyState' | 'exists' | 'enabled' | 'notPendingDeletion' | 'pendingDeletion';

/** Both deletion states: a multi-Region primary waiting for its replicas' deletion is pending deletion too (AWS's key state table). */
const isPendingDeletion = (state: KeyRecord['state']) => state === 'PendingDeletion' || state === 'PendingReplicaDeletion';

export function requireState(record: KeyRecord, requirement: StateRequirement): void {
  const { state, keyId } = record;
  if (requirement === 'anyState' || requirement === 'exists') return;
  // A replica whose material is on its way can be described, nothing more (AWS: KMSInvalidStateException).
  if (state === 'Creating') throw new KMSInvalidStateException(`${record.keyId} is pending creation.`);
  switch (requirement) {
    case 'pendingDeletion':
      if (!isPendingDeletion(state)) throw new KMSInvalidStateException(`Key ${keyId} is not pending deletion (${state}).`);
      return;
    case 'notPendingDeletion':
      if (isPendingDeletion(state)) throw new KMSInvalidStateException(`Key ${keyId} is pending deletion.`);
      return;
    case 'enabled':
      if (isPendingDeletion(state)) throw new KMSInvalidStateException(`Key ${keyId} is pending deletion.`);
      if (state !== 'Enabled') throw new DisabledException(`Key ${keyId} is disabled.`);
  }
}
