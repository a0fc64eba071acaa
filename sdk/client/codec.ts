/**
 * The one place where bytes meet JSON: binary fields travel as standard base64 with padding, as
 * in the AWS KMS JSON API. Requests: every `Uint8Array` (or `ArrayBuffer`) value at any depth
 * becomes base64. Responses: the fields the API defines as binary become `Uint8Array`s. Built on
 * `atob`/`btoa` (sdk/bytes.ts), which every target runtime has; Node 20 has no
 * `Uint8Array.fromBase64`, and `Buffer` is Node's alone.
 */
import { fromBase64, toBase64 } from '../bytes';

/** Response fields holding bytes, as named by the AWS KMS API. */
export const BINARY_FIELDS: ReadonlySet<string> = new Set([
  'Plaintext',
  'CiphertextBlob',
  'Message',
  'Signature',
  'Mac',
  'PublicKey',
  'PrivateKeyCiphertextBlob',
  'PrivateKeyPlaintext',
  'CiphertextForRecipient',
  'SourceCiphertextBlob',
]);

/**
 * Response fields that are maps of the caller's own strings (an audit record's encryption
 * context): never decoded, so a context key that happens to be named like a binary field stays
 * the string it was, as a receipt's hash needs it.
 */
const STRING_MAPS: ReadonlySet<string> = new Set(['EncryptionContext']);

/** Serializes a request body, bytes as base64. */
export function encodeRequest(input: unknown): string {
  return JSON.stringify(input ?? {}, (_key, value: unknown) => {
    if (value instanceof Uint8Array) return toBase64(value);
    if (value instanceof ArrayBuffer) return toBase64(new Uint8Array(value));
    return value;
  });
}

/** Turns the binary fields of a parsed response (at any depth) into bytes. */
export function decodeResponse(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeResponse);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    let decoded: unknown;
    if (STRING_MAPS.has(key)) {
      decoded = field;
    } else if (typeof field === 'string' && BINARY_FIELDS.has(key)) {
      decoded = fromBase64(field);
      if (decoded === undefined) throw new TypeError(`response field ${key} is not base64`);
    } else {
      decoded = decodeResponse(field);
    }
    // defineProperty: a "__proto__" key in the JSON stays a plain property.
    Object.defineProperty(out, key, { value: decoded, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
