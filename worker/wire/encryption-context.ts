/**
 * The encryption context binds a ciphertext to caller-chosen key/value pairs.
 * It is authenticated as AAD in one canonical byte form: pairs sorted by the
 * UTF-8 bytes of the key, each key and value length-prefixed, so that equal
 * maps always encode equally and no two distinct maps collide.
 */
export type EncryptionContext = Record<string, string>;

const encoder = new TextEncoder();

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

export function encodeEncryptionContext(context: EncryptionContext | undefined): Uint8Array {
  const pairs = Object.entries(context ?? {}).map(
    ([key, value]) => [encoder.encode(key), encoder.encode(value)] as const,
  );
  pairs.sort((a, b) => compareBytes(a[0], b[0]));
  const size = 4 + pairs.reduce((n, [k, v]) => n + 8 + k.length + v.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, pairs.length);
  let offset = 4;
  for (const [key, value] of pairs) {
    view.setUint32(offset, key.length);
    out.set(key, offset + 4);
    offset += 4 + key.length;
    view.setUint32(offset, value.length);
    out.set(value, offset + 4);
    offset += 4 + value.length;
  }
  return out;
}

/**
 * The most an encryption context may hold: 65,535 UTF-8 bytes of keys and
 * values together. AWS KMS documents no total (only per grant constraint: 8
 * pairs, 384 characters a value); this is the most an AWS Encryption SDK
 * message can carry (its serialized context has a 2-byte length), so every
 * context an official client sends fits, and no request binds, evaluates or
 * records more.
 */
export const MAX_CONTEXT_BYTES = 65_535;

/** The UTF-8 bytes of the context's keys and values together. */
export function contextBytes(context: EncryptionContext): number {
  let total = 0;
  for (const [key, value] of Object.entries(context)) total += encoder.encode(key).length + encoder.encode(value).length;
  return total;
}

/** The context's keys in canonical order (by their UTF-8 bytes, as the encoding sorts them). */
export function canonicalKeys(context: EncryptionContext): string[] {
  return Object.keys(context)
    .map((key) => [key, encoder.encode(key)] as const)
    .sort((a, b) => compareBytes(a[1], b[1]))
    .map(([key]) => key);
}
