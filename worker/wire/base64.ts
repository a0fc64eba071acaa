import { SerializationException } from '../errors';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function encodeBase64(bytes: Uint8Array): string {
  return bytes.toBase64();
}

/** Strict standard base64 (padding required, no whitespace), as AWS JSON protocols send blobs. */
export function decodeBase64(text: string, field: string): Uint8Array {
  if (!BASE64.test(text)) {
    throw new SerializationException(`${field} is not valid base64.`);
  }
  return Uint8Array.fromBase64(text);
}
