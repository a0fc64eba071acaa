import { ValidationException } from '../errors';
import { concatBytes } from './bytes';

/**
 * How much more of an oversized body is read, and thrown away, before the refusal. Cancelling a
 * body the client is still sending breaks the connection under it: the client may see a reset
 * instead of the 400, and wrangler's dev proxy, still forwarding the upload, took the whole local
 * server down with it. Past this bound the sender is cut off all the same.
 */
export const DRAIN_BYTES = 1024 * 1024;

/**
 * A request body of at most `limit` bytes. The declared Content-Length is
 * checked first to refuse early, and the bytes are counted as they arrive,
 * since a chunked body declares nothing and a declared length is a claim.
 */
export async function readBoundedBody(request: Request, limit: number, what: string): Promise<Uint8Array> {
  const tooLarge = () => new ValidationException(`${what} exceeds ${limit} bytes.`);
  if (Number(request.headers.get('content-length') ?? 0) > limit) throw tooLarge();
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await read(reader);
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await drain(reader, limit + DRAIN_BYTES - total);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return concatBytes(chunks);
}

/** Reads and discards the rest of a body, up to `bound` more bytes; past that, stops reading. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, bound: number): Promise<void> {
  for (let discarded = 0; discarded <= bound; ) {
    const { done, value } = await read(reader);
    if (done) return;
    discarded += value.byteLength;
  }
  await reader.cancel();
}

/** One read; a body that breaks off (the client went away) is the client's doing, not a 500. */
async function read(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<ReadableStreamReadResult<Uint8Array>> {
  try {
    return await reader.read();
  } catch {
    throw new ValidationException('The request body ended before it was complete.');
  }
}
