/**
 * A WritableStream that uploads what is written to it in numbered parts of PART_BYTES, one at a
 * time. Chromium only streams a fetch request body over HTTP/2, and `wrangler dev` speaks
 * HTTP/1.1, so a large ciphertext goes up as parts instead; waiting for each part before taking
 * more bytes is the backpressure that keeps the tab's memory flat whatever the file's size.
 */
import { KmsServiceError } from '../../sdk/index';
import { putPart } from './demo-api';

/**
 * Two stream frames (256 KiB each). Chromium keeps the last few request bodies alive for a while
 * (measured: the upload holds about 4-5 parts), so the part size sets most of the tab's memory;
 * smaller parts cost one request each (1 MiB parts: 5.8 MiB held, 15 s for 100 MiB locally;
 * 256 KiB parts: 2.5 MiB, 23 s).
 */
export const PART_BYTES = 512 * 1024;

/** The storage takes up to 10,000 parts; a file must fit with the message's framing to spare. */
export const MAX_UPLOAD_BYTES = 9_900 * PART_BYTES;

const ATTEMPTS = 3;

function worthRetrying(error: unknown): boolean {
  if (error instanceof KmsServiceError) return error.status >= 500 || error.status === 429;
  return error instanceof TypeError; // fetch's network failure
}

async function putWithRetries(uploadId: string, part: number, bytes: Uint8Array<ArrayBuffer>, signal: AbortSignal | undefined): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      // A part is replaced, not appended, when sent again, so a retry is safe.
      return await putPart(uploadId, part, bytes, signal);
    } catch (error) {
      if (attempt >= ATTEMPTS || !worthRetrying(error) || signal?.aborted) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
    }
  }
}

export interface PartUploader {
  readonly writable: WritableStream<Uint8Array>;
  /** Parts uploaded so far; after the stream closes, all of them. */
  parts(): number;
}

export function partUploader(uploadId: string, signal?: AbortSignal): PartUploader {
  // One buffer, reused: fetch copies a Uint8Array body when the request is made.
  const buffer = new Uint8Array(PART_BYTES);
  let filled = 0;
  let sent = 0;

  const flush = async (): Promise<void> => {
    await putWithRetries(uploadId, sent, buffer.subarray(0, filled), signal);
    sent++;
    filled = 0;
  };

  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      let offset = 0;
      while (offset < chunk.byteLength) {
        const taken = Math.min(chunk.byteLength - offset, PART_BYTES - filled);
        buffer.set(chunk.subarray(offset, offset + taken), filled);
        filled += taken;
        offset += taken;
        if (filled === PART_BYTES) await flush();
      }
    },
    async close() {
      if (filled > 0) await flush();
    },
  });
  return { writable, parts: () => sent };
}
