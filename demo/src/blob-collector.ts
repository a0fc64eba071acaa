/**
 * Collects a stream into a Blob without holding it all as JS memory: every few MiB the chunks
 * so far are folded into a Blob, which the browser may keep outside the tab's heap (Chromium
 * moves large Blobs to disk). The Blob is always `application/octet-stream`.
 */
const FOLD_BYTES = 8 * 1024 * 1024;

export interface BlobCollector {
  readonly writable: WritableStream<Uint8Array>;
  /** Everything written, once the stream has closed. */
  blob(): Blob;
}

export function blobCollector(): BlobCollector {
  const folded: Blob[] = [];
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const fold = () => {
    folded.push(new Blob(pending as BlobPart[]));
    pending = [];
    pendingBytes = 0;
  };
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      if (pendingBytes >= FOLD_BYTES) fold();
    },
    close: fold,
  });
  return { writable, blob: () => new Blob(folded, { type: 'application/octet-stream' }) };
}
