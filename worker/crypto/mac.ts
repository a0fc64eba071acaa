import { MAC_HASH, type MacAlgorithm } from './key-specs';

function importHmacKey(raw: Uint8Array, algorithm: MacAlgorithm, usage: KeyUsage): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: MAC_HASH[algorithm] }, false, [usage]);
}

export async function generateMac(raw: Uint8Array, algorithm: MacAlgorithm, message: Uint8Array): Promise<Uint8Array> {
  const key = await importHmacKey(raw, algorithm, 'sign');
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, message));
}

/** WebCrypto's HMAC verify compares in constant time. */
export async function verifyMac(
  raw: Uint8Array,
  algorithm: MacAlgorithm,
  message: Uint8Array,
  mac: Uint8Array,
): Promise<boolean> {
  const key = await importHmacKey(raw, algorithm, 'verify');
  return crypto.subtle.verify('HMAC', key, mac, message);
}

type KeyUsage = 'sign' | 'verify';
