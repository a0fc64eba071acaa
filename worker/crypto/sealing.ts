import { KMSInternalException } from '../errors';
import { gcmOpen, gcmSeal } from './aes-gcm';
import { concatBytes } from '../wire/bytes';
import type { RootKeySet } from './root-keys';

/**
 * Key material at rest is sealed with AES-256-GCM under a key derived by HKDF
 * from one root secret of the versioned set (root-keys.ts). The derivation and
 * the AAD both name the key id, the version and the root, so a sealed blob
 * copied onto another key, version or root does not open, and a dump of
 * Durable Object storage reveals no key.
 *
 * Sealed layouts:
 *   format 1 (before root rotation, always root 1): 0x01 | IV (12) | ciphertext and tag
 *   format 2: 0x02 | root id (4, big-endian) | IV (12) | ciphertext and tag
 */
const LEGACY_FORMAT = 1;
const ROOTED_FORMAT = 2;
const SALT = new TextEncoder().encode('edgekms/sealing/v1');

const imported = new Map<string, Promise<CryptoKey>>();

/** A root secret as an HKDF key: the root every service-side key is derived from. */
export function importMasterKey(secret: string | undefined): Promise<CryptoKey> {
  if (!secret) throw new KMSInternalException('MASTER_KEY is not configured.');
  let key = imported.get(secret);
  if (!key) {
    let bytes: Uint8Array;
    try {
      bytes = Uint8Array.fromBase64(secret);
    } catch {
      throw new KMSInternalException('A root key (MASTER_KEY or MASTER_KEYS) is not base64.');
    }
    if (bytes.length < 32) throw new KMSInternalException('A root key (MASTER_KEY or MASTER_KEYS) must hold at least 32 bytes.');
    key = crypto.subtle.importKey('raw', bytes, 'HKDF', false, ['deriveKey']);
    imported.set(secret, key);
  }
  return key;
}

/** Format 1 has no root in its label, so that material sealed before root rotation still opens. */
function bindingLabel(keyId: string, version: number, root: number | undefined): Uint8Array {
  const rooted = root === undefined ? '' : ` root ${root}`;
  return new TextEncoder().encode(`edgekms key material ${keyId} v${version}${rooted}`);
}

async function sealingKey(secret: string | undefined, label: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: SALT, info: label },
    await importMasterKey(secret),
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** Seals under the newest root of the set. */
export async function seal(roots: RootKeySet, keyId: string, version: number, material: Uint8Array): Promise<Uint8Array> {
  const root = roots.newest;
  const label = bindingLabel(keyId, version, root);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const header = new Uint8Array(5);
  header[0] = ROOTED_FORMAT;
  new DataView(header.buffer).setUint32(1, root);
  const ciphertext = await gcmSeal(await sealingKey(roots.secret(root), label), iv, concatBytes([header, label]), material);
  return concatBytes([header, iv, ciphertext]);
}

/** The root a sealed blob was sealed under (format 1 is root 1), or undefined if it is malformed. */
export function sealedUnder(sealed: Uint8Array): number | undefined {
  if (sealed[0] === LEGACY_FORMAT && sealed.length >= 1 + 12 + 16) return 1;
  if (sealed[0] === ROOTED_FORMAT && sealed.length >= 5 + 12 + 16) return new DataView(sealed.buffer, sealed.byteOffset, 5).getUint32(1);
  return undefined;
}

export async function unseal(roots: RootKeySet, keyId: string, version: number, sealed: Uint8Array): Promise<Uint8Array> {
  const root = sealedUnder(sealed);
  if (root === undefined) throw new KMSInternalException(`Sealed material of ${keyId} v${version} is malformed.`);
  const secret = roots.secret(root);
  // A root removed from the configuration while material is still sealed under it: the operator's to fix.
  if (!secret) throw new KMSInternalException(`Sealed material of ${keyId} v${version} is sealed under root key ${root}, which is not configured.`);
  const legacy = sealed[0] === LEGACY_FORMAT;
  const label = bindingLabel(keyId, version, legacy ? undefined : root);
  const headerLength = legacy ? 1 : 5;
  const aad = legacy ? label : concatBytes([sealed.subarray(0, headerLength), label]);
  const iv = sealed.subarray(headerLength, headerLength + 12);
  const material = await gcmOpen(await sealingKey(secret, label), iv, aad, sealed.subarray(headerLength + 12));
  // Wrong root secret or a tampered store: an operator problem, never the caller's.
  if (!material) throw new KMSInternalException(`Sealed material of ${keyId} v${version} does not open.`);
  return material;
}
