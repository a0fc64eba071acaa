/**
 * What the stream transforms accept as a chunk: any ArrayBufferView (Uint8Array above all) or an
 * ArrayBuffer, viewed in place, not copied. Views over a SharedArrayBuffer are copied, since
 * WebCrypto refuses them. Anything else errors the stream with InvalidArgumentError.
 */
import { type Bytes, asBytes } from './bytes';
import { InvalidArgumentError } from './errors';

export function streamChunkBytes(chunk: unknown, what: string): Bytes {
  if (ArrayBuffer.isView(chunk)) return asBytes(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  if (Object.prototype.toString.call(chunk) === '[object ArrayBuffer]') return new Uint8Array(chunk as ArrayBuffer);
  throw new InvalidArgumentError(`${what} stream chunks must be Uint8Arrays (or other ArrayBufferViews, or ArrayBuffers)`);
}
