import { concatBytes } from '../wire/bytes';
import type { RootKeySet } from './root-keys';
import { importMasterKey } from './sealing';

/**
 * Markers that carry the service's own findings (how far a verification got,
 * what it found) are authenticated, so that a final "the whole account is
 * valid" speaks only for work this service did: a marker edited or made up
 * by a client does not open. The MAC key is derived by HKDF from the newest
 * root key (root-keys.ts), apart from the sealing keys, and each marker is
 * bound to a scope (the account and chain it walks), so it cannot be replayed
 * on another. A marker made before a root rotation still opens under the root
 * that made it while that root is configured.
 */
const SALT = new TextEncoder().encode('edgekms/markers/v1');
const INFO = new TextEncoder().encode('edgekms marker authentication');
const TAG_BYTES = 32;

const derived = new Map<string, Promise<CryptoKey>>();

function macKey(secret: string | undefined): Promise<CryptoKey> {
  const known = secret && derived.get(secret);
  if (known) return known;
  // Throws (KMSInternalException) before anything is cached when the secret is missing or malformed.
  const root = importMasterKey(secret);
  const key = root.then((master) =>
    crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: SALT, info: INFO }, master, { name: 'HMAC', hash: 'SHA-256', length: 256 }, false, ['sign', 'verify']),
  );
  derived.set(secret!, key);
  return key;
}

function scoped(scope: string, payload: Uint8Array): Uint8Array {
  return concatBytes([new TextEncoder().encode(`${scope}\n`), payload]);
}

/** The payload and its tag, base64url. */
export async function sealMarker(roots: RootKeySet, scope: string, payload: Uint8Array): Promise<string> {
  const tag = new Uint8Array(await crypto.subtle.sign('HMAC', await macKey(roots.secret(roots.newest)), scoped(scope, payload)));
  return concatBytes([payload, tag]).toBase64({ alphabet: 'base64url', omitPadding: true });
}

/** The payload of a marker this service sealed for `scope`, or undefined for any other string. */
export async function openMarker(roots: RootKeySet, scope: string, marker: string): Promise<Uint8Array | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.fromBase64(marker, { alphabet: 'base64url' });
  } catch {
    return undefined;
  }
  if (bytes.length <= TAG_BYTES) return undefined;
  const payload = bytes.subarray(0, bytes.length - TAG_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  const message = scoped(scope, payload);
  for (const id of [...roots.ids].reverse()) {
    if (await crypto.subtle.verify('HMAC', await macKey(roots.secret(id)), tag, message)) return payload;
  }
  return undefined;
}
