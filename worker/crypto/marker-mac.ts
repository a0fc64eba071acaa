import { concatBytes } from '../wire/bytes';
import { importMasterKey } from './sealing';

/**
 * Markers that carry the service's own findings (how far a verification got,
 * what it found) are authenticated, so that a final "the whole account is
 * valid" speaks only for work this service did: a marker edited or made up
 * by a client does not open. The MAC key is derived by HKDF from MASTER_KEY,
 * apart from the sealing keys, and each marker is bound to a scope (the
 * account and chain it walks), so it cannot be replayed on another.
 */
const SALT = new TextEncoder().encode('edgekms/markers/v1');
const INFO = new TextEncoder().encode('edgekms marker authentication');
const TAG_BYTES = 32;

let cached: { secret: string; key: Promise<CryptoKey> } | undefined;

function macKey(masterKey: string | undefined): Promise<CryptoKey> {
  if (cached && cached.secret === masterKey) return cached.key;
  // Throws (KMSInternalException) before anything is cached when MASTER_KEY is missing or malformed.
  const root = importMasterKey(masterKey);
  const key = root.then((master) =>
    crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: SALT, info: INFO }, master, { name: 'HMAC', hash: 'SHA-256', length: 256 }, false, ['sign', 'verify']),
  );
  cached = { secret: masterKey!, key };
  return key;
}

function scoped(scope: string, payload: Uint8Array): Uint8Array {
  return concatBytes([new TextEncoder().encode(`${scope}\n`), payload]);
}

/** The payload and its tag, base64url. */
export async function sealMarker(masterKey: string | undefined, scope: string, payload: Uint8Array): Promise<string> {
  const tag = new Uint8Array(await crypto.subtle.sign('HMAC', await macKey(masterKey), scoped(scope, payload)));
  return concatBytes([payload, tag]).toBase64({ alphabet: 'base64url', omitPadding: true });
}

/** The payload of a marker this service sealed for `scope`, or undefined for any other string. */
export async function openMarker(masterKey: string | undefined, scope: string, marker: string): Promise<Uint8Array | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.fromBase64(marker, { alphabet: 'base64url' });
  } catch {
    return undefined;
  }
  if (bytes.length <= TAG_BYTES) return undefined;
  const payload = bytes.subarray(0, bytes.length - TAG_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  const valid = await crypto.subtle.verify('HMAC', await macKey(masterKey), tag, scoped(scope, payload));
  return valid ? payload : undefined;
}
