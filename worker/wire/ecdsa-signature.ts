/**
 * ECDSA signatures travel as DER (what AWS KMS returns and what OpenSSL and
 * the AWS SDKs verify); WebCrypto speaks IEEE P1363 (r || s). Decoding is
 * strict DER: one encoding per signature, so signatures are not malleable
 * through their encoding. A P-521 signature may exceed 127 bytes, so the
 * outer length takes DER's long form (0x81 n) there, and only there.
 */
export function p1363ToDer(signature: Uint8Array): Uint8Array {
  const half = signature.length / 2;
  const integer = (bytes: Uint8Array): number[] => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    const body = Array.from(bytes.subarray(start));
    if (body[0]! & 0x80) body.unshift(0);
    return [0x02, body.length, ...body];
  };
  const r = integer(signature.subarray(0, half));
  const s = integer(signature.subarray(half));
  const length = r.length + s.length;
  return new Uint8Array([0x30, ...(length < 0x80 ? [length] : [0x81, length]), ...r, ...s]);
}

/** Returns r || s, each left-padded to `size` bytes, or undefined if not strict DER. */
export function derToP1363(der: Uint8Array, size: number): Uint8Array | undefined {
  if (der.length < 8 || der[0] !== 0x30) return undefined;
  // The sequence's length: short form below 128, else exactly 0x81 and one byte of 128 or more.
  let offset: number;
  if (der[1]! < 0x80) offset = 2;
  else if (der[1] === 0x81 && der[2]! >= 0x80) offset = 3;
  else return undefined;
  if ((offset === 2 ? der[1] : der[2]) !== der.length - offset) return undefined;
  const out = new Uint8Array(size * 2);
  for (let part = 0; part < 2; part++) {
    if (der[offset] !== 0x02) return undefined;
    const length = der[offset + 1]!;
    const start = offset + 2;
    const end = start + length;
    // Integers stay below 128 bytes on every curve the service has (P-521: at most 67).
    if (length === 0 || length >= 0x80 || end > der.length) return undefined;
    if (der[start]! & 0x80) return undefined; // negative
    if (length > 1 && der[start] === 0 && !(der[start + 1]! & 0x80)) return undefined; // non-minimal
    let value = der.subarray(start, end);
    if (value[0] === 0 && value.length > 1) value = value.subarray(1);
    if (value.length > size) return undefined;
    out.set(value, part * size + size - value.length);
    offset = end;
  }
  return offset === der.length ? out : undefined;
}
