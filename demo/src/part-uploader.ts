/**
 * A WritableStream that uploads what is written to it in numbered parts of PART_BYTES, several at
 * a time. Chromium only streams a fetch request body over HTTP/2, and `wrangler dev` speaks
 * HTTP/1.1, so a large ciphertext goes up as parts instead. Each part is one request with a fixed
 * cost (sign-in, routing, a storage write), so parts are sent PARALLEL_PARTS at once; a write
 * waits while that many are in flight, which is the backpressure that keeps the tab's memory at a
 * few parts whatever the file's size.
 */
import { KmsServiceError } from '../../sdk/index';
import { putPart } from './demo-api';

/**
 * Sixteen stream frames (256 KiB each). One 512 KiB part at a time ran at about 3 MB/s locally: the
 * time went to per-request cost, not to encryption. Larger parts sent in parallel amortize it; past
 * 2 MiB the local storage's own write speed is the limit (issue 18's note, demo-speed), so the size
 * only trades requests against the one part buffer the tab holds.
 */
export const PART_BYTES = 4 * 1024 * 1024;

/**
 * Parts in flight at once. Chromium opens at most six HTTP/1.1 connections to one host, and the
 * page needs one or two for its own calls (KMS, listing) while an upload runs.
 */
export const PARALLEL_PARTS = 4;

/** The storage takes up to 10,000 parts; a file must fit with the message's framing to spare. */
export const MAX_UPLOAD_BYTES = 9_900 * PART_BYTES;

const ATTEMPTS = 3;

function worthRetrying(error: unknown): boolean {
  if (error instanceof KmsServiceError) return error.status >= 500 || error.status === 429;
  return error instanceof TypeError; // fetch's network failure
}

async function putWithRetries(uploadId: string, part: number, bytes: Blob, signal: AbortSignal): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      // A part is replaced, not appended, when sent again, so a retry is safe.
      return await putPart(uploadId, part, bytes, signal);
    } catch (error) {
      if (attempt >= ATTEMPTS || !worthRetrying(error) || signal.aborted) throw error;
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
  // The first failure stops the parts still in flight: the upload has failed as a whole.
  const stopOnFailure = new AbortController();
  const stopped = signal ? AbortSignal.any([signal, stopOnFailure.signal]) : stopOnFailure.signal;
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  // One buffer for every part: a Blob copies the bytes it is made of (File API, "process blob parts").
  const buffer = new Uint8Array(PART_BYTES);
  let filled = 0;
  let started = 0;
  let stored = 0;

  const throwIfFailed = () => {
    if (failure) throw failure.error;
  };

  const send = (part: number, ciphertext: Uint8Array<ArrayBuffer>) => {
    // As a Blob: the bytes move out of the tab's heap into the browser's blob storage, where the
    // request (and a retry) reads them. An ArrayBuffer body is copied into every request and, when
    // DevTools watches the network (as the e2e suite's Playwright does), copied again for it:
    // measured at a quarter of a Blob body's rate.
    const body = new Blob([ciphertext]);
    const sending: Promise<void> = putWithRetries(uploadId, part, body, stopped).then(
      () => {
        stored++;
        inFlight.delete(sending);
      },
      (error: unknown) => {
        failure ??= { error };
        stopOnFailure.abort(error);
        inFlight.delete(sending);
      },
    );
    inFlight.add(sending);
  };

  const flush = async (): Promise<void> => {
    send(started++, buffer.subarray(0, filled));
    filled = 0;
    // Backpressure: no more bytes are taken while the pipe to the storage is full.
    while (inFlight.size >= PARALLEL_PARTS) await Promise.race(inFlight);
    throwIfFailed();
  };

  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      throwIfFailed();
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
      if (filled > 0) send(started++, buffer.subarray(0, filled));
      await Promise.all(inFlight);
      throwIfFailed();
    },
    async abort(reason) {
      stopOnFailure.abort(reason);
      await Promise.all(inFlight);
    },
  });
  return { writable, parts: () => stored };
}
