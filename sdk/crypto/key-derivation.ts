/**
 * Per-message keys of the committing suites (spec: framework/transitive-requirements.md, "HKDF
 * Encryption Key" and "HKDF Commit Key"): from the data key, HKDF-SHA512 salted with the 32-byte
 * message id derives
 *   - the AES-256-GCM key, with info = suite id (2 bytes, big-endian) | "DERIVEKEY", and
 *   - the 32-byte commit key stored in the header, with info = "COMMITKEY".
 * Both share the extract step; WebCrypto runs extract + expand per call, which yields the same
 * bytes, so the spec's "extract once" is an optimisation we can skip.
 *
 * The data key is the HKDF input, so it may be given as raw bytes or as a non-extractable
 * WebCrypto HKDF key (what the data key cache holds, in memory and in IndexedDB): WebCrypto
 * derives from such a key without exposing the data key's own bytes. The derived bits are
 * another matter: deriveBits (which the commit key needs) gives whoever holds the key any
 * message's AES key and commit key as bytes, so holding the CryptoKey is as good as holding the
 * data key for decrypting and writing messages.
 */
import { type Bytes, asBytes, concatBytes, utf8 } from '../bytes';
import { type AesGcmKey, hkdfSha512AesGcmKey } from './aes-gcm';
import { isHkdfDataKey, madeHkdfDataKey } from './hkdf-data-keys';
import { KeyringError } from '../errors';
import type { AlgorithmSuite } from '../suites';

const DERIVE_KEY_LABEL = utf8('DERIVEKEY');
const COMMIT_KEY_LABEL = utf8('COMMITKEY');

export interface MessageKeys {
  /** Non-extractable AES-GCM key for the header tag and every frame. */
  readonly encryptionKey: AesGcmKey;
  readonly commitKey: Bytes;
}

/**
 * A data key as a non-extractable HKDF key: not exportable, but its holder can derive every
 * message key from it (deriveBits included).
 */
export async function importDataKey(suite: AlgorithmSuite, dataKey: Uint8Array): Promise<CryptoKey> {
  if (dataKey.byteLength !== suite.keyLength) {
    throw new KeyringError(`data key must be ${suite.keyLength} bytes, got ${dataKey.byteLength}`);
  }
  return madeHkdfDataKey(await crypto.subtle.importKey('raw', asBytes(dataKey), 'HKDF', false, ['deriveKey', 'deriveBits']));
}

/** The data key of a set of materials: the HKDF key if they hold one, else the raw bytes. */
export function materialsDataKey(materials: {
  readonly plaintextDataKey?: Uint8Array;
  readonly hkdfDataKey?: CryptoKey;
}): Uint8Array | CryptoKey {
  const key = materials.hkdfDataKey ?? materials.plaintextDataKey;
  if (key === undefined) throw new KeyringError('materials hold no data key');
  return key;
}

/** The AES key's HKDF info of each suite (suite id | "DERIVEKEY"), made once: WebCrypto copies it on every call. */
const deriveKeyInfos = new Map<number, Bytes>();

function deriveKeyInfo(suite: AlgorithmSuite): Bytes {
  let info = deriveKeyInfos.get(suite.id);
  if (info === undefined) {
    info = concatBytes([new Uint8Array([suite.id >> 8, suite.id & 0xff]), DERIVE_KEY_LABEL]);
    deriveKeyInfos.set(suite.id, info);
  }
  return info;
}

export async function deriveMessageKeys(
  suite: AlgorithmSuite,
  dataKey: Uint8Array | CryptoKey,
  messageId: Uint8Array,
): Promise<MessageKeys> {
  if (suite.kdf !== 'HKDF-SHA512-COMMIT') return { encryptionKey: await deriveLegacyKey(suite, dataKey, messageId), commitKey: new Uint8Array(0) };
  const salt = asBytes(messageId);
  let input: Bytes | CryptoKey;
  if (dataKey instanceof Uint8Array) {
    if (dataKey.byteLength !== suite.keyLength) {
      throw new KeyringError(`data key must be ${suite.keyLength} bytes, got ${dataKey.byteLength}`);
    }
    input = asBytes(dataKey);
  } else if (isHkdfDataKey(dataKey)) {
    input = dataKey;
  } else {
    throw new KeyringError('data key must be bytes or an HKDF CryptoKey usable for deriveKey and deriveBits');
  }
  const { key, bits } = await hkdfSha512AesGcmKey({
    input,
    salt,
    keyInfo: deriveKeyInfo(suite),
    keyLength: suite.keyLength,
    bitsInfo: COMMIT_KEY_LABEL,
    bitsLength: suite.commitKeyLength,
  });
  return { encryptionKey: key, commitKey: bits };
}

/**
 * The message key of a format 1 suite (read only; spec: framework/algorithm-suites.md): the data
 * key itself for the suites without a KDF, else HKDF (SHA-256 or SHA-384) without salt, with
 * info = suite id (2 bytes, big-endian) | message id (16 bytes). There is no commit key.
 */
async function deriveLegacyKey(suite: AlgorithmSuite, dataKey: Uint8Array | CryptoKey, messageId: Uint8Array): Promise<CryptoKey> {
  if (!(dataKey instanceof Uint8Array)) throw new KeyringError(`suite ${suite.name} needs the data key as bytes`);
  if (dataKey.byteLength !== suite.keyLength) throw new KeyringError(`data key must be ${suite.keyLength} bytes, got ${dataKey.byteLength}`);
  const aes = { name: 'AES-GCM', length: suite.keyLength * 8 };
  if (suite.kdf === 'NONE') return crypto.subtle.importKey('raw', asBytes(dataKey), aes, false, ['decrypt']);
  const hkdfKey = await crypto.subtle.importKey('raw', asBytes(dataKey), 'HKDF', false, ['deriveKey']);
  const info = concatBytes([new Uint8Array([suite.id >> 8, suite.id & 0xff]), messageId]);
  const hash = suite.kdf === 'HKDF-SHA256' ? 'SHA-256' : 'SHA-384';
  return crypto.subtle.deriveKey({ name: 'HKDF', hash, salt: new Uint8Array(0), info }, hkdfKey, aes, false, ['decrypt']);
}
