/**
 * Normalises what callers pass to encrypt and decrypt into bytes. Strings mean different things on
 * the two sides: plaintext text is encoded as UTF-8, while a message, being binary, can only be
 * carried in a string as base64 (standard or URL-safe), so that is how a string message is read.
 * The bytes come back at once unless the input is a Blob: a promise for every 1 KiB message is
 * an await more on the buffer API's path (issue 15).
 */
import { type Bytes, asBytes, fromBase64, utf8 } from './bytes';
import { InvalidArgumentError, MalformedMessageError } from './errors';

export type BinaryInput = Uint8Array | ArrayBuffer | ArrayBufferView | Blob;
export type PlaintextInput = BinaryInput | string;
export type MessageInput = BinaryInput | string;

// Checks use isView and the built-in tag rather than instanceof where they can, so that arrays
// from another realm (an iframe, a vm context) are accepted too.
function binaryBytes(input: BinaryInput, what: string): Bytes | Promise<Bytes> {
  if (ArrayBuffer.isView(input)) return asBytes(new Uint8Array(input.buffer, input.byteOffset, input.byteLength));
  if (Object.prototype.toString.call(input) === '[object ArrayBuffer]') return new Uint8Array(input as ArrayBuffer);
  if (typeof Blob !== 'undefined' && input instanceof Blob) return input.arrayBuffer().then((buffer) => new Uint8Array(buffer));
  throw new InvalidArgumentError(`${what} must be a Uint8Array, ArrayBuffer, Blob or string`);
}

export function plaintextBytes(data: PlaintextInput): Bytes | Promise<Bytes> {
  return typeof data === 'string' ? utf8(data) : binaryBytes(data, 'data');
}

export function messageBytes(message: MessageInput): Bytes | Promise<Bytes> {
  if (typeof message !== 'string') return binaryBytes(message, 'message');
  const bytes = fromBase64(message);
  if (bytes === undefined) throw new MalformedMessageError('a message given as a string must be base64');
  return bytes;
}
