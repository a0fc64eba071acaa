/** Byte helpers the service shares (the SDK has its own in sdk/bytes.ts: it ships alone). */

/** The parts, one after another, in a new array (an array of parts, not arguments: a body may arrive in very many chunks). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}
