/**
 * HKDF CryptoKeys known to serve as a data key (usable for deriveKey and deriveBits): those the
 * SDK made itself, and a caller's once checked. A key's algorithm and usages never change, and in
 * Chromium reading them builds new objects each time (about 1 µs a message, measured as up to 3%
 * of a 1 KiB decrypt; issue 15), so each key is looked at once.
 */
const usableKeys = new WeakSet<CryptoKey>();

/** Records a key the SDK has just made with the HKDF algorithm and both usages; returns it. */
export function madeHkdfDataKey(key: CryptoKey): CryptoKey {
  usableKeys.add(key);
  return key;
}

/** Whether `key` is an HKDF CryptoKey usable for deriveKey and deriveBits. */
export function isHkdfDataKey(key: CryptoKey): boolean {
  if (usableKeys.has(key)) return true;
  const usable = key?.algorithm?.name === 'HKDF' && key.usages.includes('deriveBits') && key.usages.includes('deriveKey');
  if (usable) usableKeys.add(key);
  return usable;
}
