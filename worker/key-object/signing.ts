import { KEY_SPECS, type MacAlgorithm, type SigningAlgorithm } from '../crypto/key-specs';
import { generateMac, verifyMac } from '../crypto/mac';
import { signMessage, verifySignature, type MessageType } from '../crypto/signing';
import { InvalidKeyUsageException, KMSInvalidMacException, KMSInvalidSignatureException, UnsupportedOperationException } from '../errors';
import type { KeyRecord } from './key-record';
import { requireUsage } from './key-usage';
import type { KeyVersions } from './versions';

/** Signatures with an asymmetric key's private half, and MACs with an HMAC key, always its current version. */

export async function sign(versions: KeyVersions, record: KeyRecord, message: Uint8Array, messageType: MessageType, algorithm: SigningAlgorithm): Promise<Uint8Array> {
  requireUsage(record, 'SIGN_VERIFY');
  const secret = await versions.secret(record, record.currentVersion);
  return signMessage(record.keySpec, secret, algorithm, messageType, message);
}

/** Returns only if the signature is valid. */
export async function verify(
  versions: KeyVersions,
  record: KeyRecord,
  message: Uint8Array,
  messageType: MessageType,
  signature: Uint8Array,
  algorithm: SigningAlgorithm,
): Promise<void> {
  requireUsage(record, 'SIGN_VERIFY');
  if (!(await verifySignature(record.keySpec, await versions.publicKey(record), algorithm, messageType, message, signature))) {
    throw new KMSInvalidSignatureException('The signature is not valid.');
  }
}

/** The SPKI of an asymmetric key (signing or RSA encryption); symmetric and HMAC keys have none. */
export async function publicKey(versions: KeyVersions, record: KeyRecord): Promise<Uint8Array> {
  const { family } = KEY_SPECS[record.keySpec];
  if (family === 'aes' || family === 'hmac') {
    throw new UnsupportedOperationException(`A ${record.keySpec} key has no public key.`);
  }
  return versions.publicKey(record);
}

async function macSecret(versions: KeyVersions, record: KeyRecord, algorithm: MacAlgorithm): Promise<Uint8Array> {
  const info = KEY_SPECS[record.keySpec];
  if (info.family !== 'hmac' || info.macAlgorithm !== algorithm) {
    throw new InvalidKeyUsageException(`MAC algorithm ${algorithm} is not valid for a ${record.keySpec} key.`);
  }
  return versions.secret(record, record.currentVersion);
}

export async function mac(versions: KeyVersions, record: KeyRecord, message: Uint8Array, algorithm: MacAlgorithm): Promise<Uint8Array> {
  return generateMac(await macSecret(versions, record, algorithm), algorithm, message);
}

/** Returns only if the MAC is valid. */
export async function checkMac(versions: KeyVersions, record: KeyRecord, message: Uint8Array, tag: Uint8Array, algorithm: MacAlgorithm): Promise<void> {
  if (!(await verifyMac(await macSecret(versions, record, algorithm), algorithm, message, tag))) {
    throw new KMSInvalidMacException('The MAC is not valid.');
  }
}
