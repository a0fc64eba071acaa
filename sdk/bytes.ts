/**
 * Byte helpers shared by the SDK, written against the web platform only (TextEncoder, atob/btoa,
 * crypto.getRandomValues) so the same code runs in browsers, Workers and Node.
 */

/**
 * A Uint8Array backed by a plain ArrayBuffer. WebCrypto refuses views over SharedArrayBuffer, and
 * TypeScript's DOM types say so; every buffer handed to `crypto.subtle` is of this type.
 */
export type Bytes = Uint8Array<ArrayBuffer>;

const encoder = new TextEncoder();
// `fatal` so that invalid UTF-8 in a message is an error, not silently replaced characters that
// would compare equal to a different context.
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Strings up to this long that are ASCII are converted by hand: the header's and context's keys,
 * values and provider ids are short, and for them a TextEncoder or TextDecoder call costs more
 * than the conversion (measured in Chromium, where a 1 KiB message spent 6% of its time there).
 */
const SHORT_TEXT = 64;

export function utf8(text: string): Bytes {
  const length = text.length;
  if (length <= SHORT_TEXT) {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) return encoder.encode(text) as Bytes;
      out[i] = code;
    }
    return out;
  }
  return encoder.encode(text) as Bytes;
}

/** Decodes UTF-8, returning undefined for invalid input so callers choose the error to throw. */
export function fromUtf8(bytes: Uint8Array): string | undefined {
  const length = bytes.byteLength;
  if (length <= SHORT_TEXT) {
    let ascii = true;
    for (let i = 0; i < length; i++) {
      if (bytes[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    // ASCII is UTF-8 as it stands; anything else goes to the strict decoder.
    if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** A copy of `view` in a fresh ArrayBuffer (also how a SharedArrayBuffer view becomes usable). */
export function copyBytes(view: Uint8Array): Bytes {
  const out = new Uint8Array(view.byteLength);
  out.set(view);
  return out;
}

/** `view` itself when it is already ArrayBuffer-backed, else a copy. */
export function asBytes(view: Uint8Array): Bytes {
  return view.buffer instanceof ArrayBuffer ? (view as Bytes) : copyBytes(view);
}

/** No bytes: one shared empty array, for the calls that take bytes and are given none. */
export const EMPTY_BYTES: Bytes = new Uint8Array(0);

export function concatBytes(parts: readonly Uint8Array[]): Bytes {
  let length = 0;
  for (const part of parts) length += part.byteLength;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/**
 * Small draws come from a pool that one getRandomValues call fills 4 KiB at a time: the call costs
 * about 2.5 µs in Chromium whatever its size, and a message draws three times (data key, message
 * id, wrap IV), 9 µs of a 1 KiB message's 120 (issue 15). Each draw is copied out and its bytes in
 * the pool are zeroed at once, so the pool holds only bytes nobody has been given yet: what any
 * CSPRNG's state in this process's memory would reveal, and no more.
 */
const RANDOM_POOL_SIZE = 4096;
const POOLED_DRAW_LIMIT = 256;
let randomPool = new Uint8Array(0);
let randomPoolUsed = 0;

export function randomBytes(length: number): Bytes {
  if (length <= POOLED_DRAW_LIMIT) {
    if (randomPoolUsed + length > randomPool.byteLength) {
      randomPool = crypto.getRandomValues(new Uint8Array(RANDOM_POOL_SIZE));
      randomPoolUsed = 0;
    }
    const out = randomPool.slice(randomPoolUsed, randomPoolUsed + length);
    randomPool.fill(0, randomPoolUsed, randomPoolUsed + length);
    randomPoolUsed += length;
    return out;
  }
  const out = new Uint8Array(length);
  // getRandomValues fills at most 65536 bytes per call.
  for (let offset = 0; offset < length; offset += 65536) {
    crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65536)));
  }
  return out;
}

/**
 * Compares two byte strings in time that depends only on their lengths (which are public here),
 * so a mismatch position leaks nothing. Used for the key commitment, as the spec requires.
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let difference = 0;
  for (let i = 0; i < a.byteLength; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

/** Lexicographic order of byte strings; a proper prefix sorts first. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < length; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.byteLength - b.byteLength;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.byteLength; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Decodes standard or URL-safe base64 (padding optional); undefined if it is not base64. */
export function fromBase64(text: string): Bytes | undefined {
  const normalized = text.trim().replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(normalized)) return undefined;
  const unpadded = normalized.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) return undefined;
  try {
    const binary = atob(unpadded + '='.repeat((4 - (unpadded.length % 4)) % 4));
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}
