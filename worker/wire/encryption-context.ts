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
