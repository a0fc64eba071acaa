import { deriveSharedSecret } from '../crypto/key-agreement';
import { KEY_SPECS } from '../crypto/key-specs';
import { InvalidKeyUsageException } from '../errors';
import { recordArn, type KeyRecord } from './key-record';
import type { KeyVersions } from './versions';

/** DeriveSharedSecret: ECDH with a KEY_AGREEMENT key's private half (its current, and only, version). */
export async function sharedSecret(versions: KeyVersions, record: KeyRecord, peerPublicKey: Uint8Array): Promise<Uint8Array> {
  const info = KEY_SPECS[record.keySpec];
  if (record.keyUsage !== 'KEY_AGREEMENT' || info.family !== 'ecc') {
    throw new InvalidKeyUsageException(`${recordArn(record)} key usage is ${record.keyUsage} which is not valid for DeriveSharedSecret.`);
  }
  return deriveSharedSecret(info.namedCurve, await versions.secret(record, record.currentVersion), peerPublicKey);
}
