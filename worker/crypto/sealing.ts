import { KMSInternalException } from '../errors';
import { gcmOpen, gcmSeal } from './aes-gcm';
import { concatBytes } from '../wire/bytes';

/**
 * Key material at rest is sealed with AES-256-GCM under a key derived by HKDF
 * from the Worker secret MASTER_KEY. The derivation and the AAD both name the
 * key id and version, so a sealed blob copied onto another key or version
 * does not open, and a dump of Durable Object storage reveals no key.
 *
 * Sealed layout: format byte (1) | IV (12) | ciphertext and tag.
 */
const SEAL_FORMAT = 1;
const SALT = new TextEncoder().encode('edgekms/sealing/v1');

let cachedMasterKey: { secret: string; key: Promise<CryptoKey> } | undefined;

/** MASTER_KEY as an HKDF key: the root every service-side key is derived from. */
export function importMasterKey(secret: string | undefined): Promise<CryptoKey> {
  if (!secret) throw new KMSInternalException('MASTER_KEY is not configured.');
  if (cachedMasterKey?.secret !== secret) {
    let bytes: Uint8Array;
    try {
      bytes = Uint8Array.fromBase64(secret);
    } catch {
      throw new KMSInternalException('MASTER_KEY is not base64.');
    }
    if (bytes.length < 32) throw new KMSInternalException('MASTER_KEY must hold at least 32 bytes.');
    const key = crypto.subtle.importKey('raw', bytes, 'HKDF', false, ['deriveKey']);
    cachedMasterKey = { secret, key };
  }
  return cachedMasterKey.key;
}

function bindingLabel(keyId: string, version: number): Uint8Array {
  return new TextEncoder().encode(`edgekms key material ${keyId} v${version}`);
}

async function sealingKey(masterKey: string | undefined, label: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: SALT, info: label },
    await importMasterKey(masterKey),
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

export async function seal(
  masterKey: string | undefined,
  keyId: string,
  version: number,
  material: Uint8Array,
): Promise<Uint8Array> {
  const label = bindingLabel(keyId, version);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await gcmSeal(await sealingKey(masterKey, label), iv, label, material);
  return concatBytes([Uint8Array.of(SEAL_FORMAT), iv, ciphertext]);
}

export async function unseal(
  masterKey: string | undefined,
  keyId: string,
  version: number,
  sealed: Uint8Array,
): Promise<Uint8Array> {
  if (sealed[0] !== SEAL_FORMAT || sealed.length < 1 + 12 + 16) {
    throw new KMSInternalException(`Sealed material of ${keyId} v${version} is malformed.`);
  }
  const label = bindingLabel(keyId, version);
  const material = await gcmOpen(await sealingKey(masterKey, label), sealed.subarray(1, 13), label, sealed.subarray(13));
  // Wrong MASTER_KEY or a tampered store: an operator problem, never the caller's.
  if (!material) throw new KMSInternalException(`Sealed material of ${keyId} v${version} does not open.`);
  return material;
}
