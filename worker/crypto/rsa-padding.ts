import type { HashName } from './key-specs';
import { HASH_LENGTH } from './key-specs';
import { equalBytes } from '../auth/constant-time';
import { concatBytes } from '../wire/bytes';

/**
 * EMSA-PSS and EMSA-PKCS1-v1_5 (RFC 8017 §9) for signatures over a
 * caller-supplied digest. Verification re-derives and compares, never parses
 * loosely. PSS uses a salt as long as the hash, as AWS KMS does.
 */
const DIGEST_INFO_PREFIX: Partial<Record<HashName, number[]>> = {
  'SHA-256': [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20],
  'SHA-384': [0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30],
  'SHA-512': [0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40],
};

async function digest(hash: HashName, ...parts: Uint8Array[]): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(hash, concatBytes(parts)));
}

async function mgf1(hash: HashName, seed: Uint8Array, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  const counter = new Uint8Array(4);
  for (let i = 0, offset = 0; offset < length; i++) {
    new DataView(counter.buffer).setUint32(0, i);
    const block = await digest(hash, seed, counter);
    out.set(block.subarray(0, Math.min(block.length, length - offset)), offset);
    offset += block.length;
  }
  return out;
}

/** EM left-padded to the modulus size, ready for the raw RSA private operation. */
export async function encodePss(hash: HashName, mHash: Uint8Array, modulusBits: number): Promise<Uint8Array> {
  const hLen = HASH_LENGTH[hash];
  const emBits = modulusBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const salt = crypto.getRandomValues(new Uint8Array(hLen));
  const h = await digest(hash, new Uint8Array(8), mHash, salt);
  const db = new Uint8Array(emLen - hLen - 1);
  db[db.length - hLen - 1] = 0x01;
  db.set(salt, db.length - hLen);
  const mask = await mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >>> (8 * emLen - emBits);
  const k = Math.ceil(modulusBits / 8);
  const em = new Uint8Array(k);
  em.set(db, k - emLen);
  em.set(h, k - emLen + db.length);
  em[k - 1] = 0xbc;
  return em;
}

export async function verifyPss(
  hash: HashName,
  mHash: Uint8Array,
  recovered: Uint8Array,
  modulusBits: number,
): Promise<boolean> {
  const hLen = HASH_LENGTH[hash];
  const emBits = modulusBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const k = Math.ceil(modulusBits / 8);
  if (recovered.length !== k || emLen < 2 * hLen + 2) return false;
  if (k > emLen && recovered[0] !== 0) return false;
  const em = recovered.subarray(k - emLen);
  if (em[emLen - 1] !== 0xbc) return false;
  const topBits = 8 * emLen - emBits;
  const db = em.slice(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  if (db[0]! & ~(0xff >>> topBits) & 0xff) return false;
  const mask = await mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >>> topBits;
  const separator = db.length - hLen - 1;
  for (let i = 0; i < separator; i++) if (db[i] !== 0) return false;
  if (db[separator] !== 0x01) return false;
  const expected = await digest(hash, new Uint8Array(8), mHash, db.subarray(separator + 1));
  return equalBytes(expected, h);
}

export function encodePkcs1(hash: HashName, mHash: Uint8Array, modulusBits: number): Uint8Array {
  const prefix = DIGEST_INFO_PREFIX[hash];
  if (!prefix) throw new Error(`no DigestInfo for ${hash}`);
  const k = Math.ceil(modulusBits / 8);
  const t = prefix.length + mHash.length;
  const em = new Uint8Array(k).fill(0xff);
  em[0] = 0x00;
  em[1] = 0x01;
  em[k - t - 1] = 0x00;
  em.set(prefix, k - t);
  em.set(mHash, k - mHash.length);
  return em;
}
