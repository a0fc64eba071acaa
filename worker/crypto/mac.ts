import { hmac } from '@noble/hashes/hmac.js';
import { sha224 } from '@noble/hashes/sha2.js';
import { equalBytes } from '../auth/constant-time';
import { MAC_HASH, type MacAlgorithm } from './key-specs';

/**
 * HMAC for the HMAC key specs. WebCrypto has no SHA-224, so HMAC_SHA_224
 * runs on @noble/hashes and its tags are compared in constant time here;
 * the others run on WebCrypto, whose verify compares in constant time.
 */
function importHmacKey(raw: Uint8Array, algorithm: MacAlgorithm, usage: KeyUsage): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: MAC_HASH[algorithm] }, false, [usage]);
}

export async function generateMac(raw: Uint8Array, algorithm: MacAlgorithm, message: Uint8Array): Promise<Uint8Array> {
  if (algorithm === 'HMAC_SHA_224') return hmac(sha224, raw, message);
  const key = await importHmacKey(raw, algorithm, 'sign');
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, message));
}

export async function verifyMac(
  raw: Uint8Array,
  algorithm: MacAlgorithm,
  message: Uint8Array,
  mac: Uint8Array,
): Promise<boolean> {
  if (algorithm === 'HMAC_SHA_224') return equalBytes(hmac(sha224, raw, message), mac);
  const key = await importHmacKey(raw, algorithm, 'verify');
  return crypto.subtle.verify('HMAC', key, mac, message);
}

type KeyUsage = 'sign' | 'verify';
