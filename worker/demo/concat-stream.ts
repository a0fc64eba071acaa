/**
 * The parts of a file, one after another, as one response body. Parts are
 * piped in sequence, never buffered, so a file of any size costs the Worker
 * one chunk of memory at a time. FixedLengthStream declares the total as
 * Content-Length and fails the response rather than send more or fewer bytes.
 *
 * Each part is fetched only if its ETag is still the one recorded on
 * completion: a part replaced afterwards breaks the download instead of
 * silently changing the file.
 */
export function concatenateParts(bucket: R2Bucket, keys: string[], etags: string[], totalBytes: number): ReadableStream<Uint8Array> {
  const { readable, writable } = new FixedLengthStream(totalBytes);
  void pump(bucket, keys, etags, writable);
  return readable;
}

async function pump(bucket: R2Bucket, keys: string[], etags: string[], writable: WritableStream): Promise<void> {
  try {
    for (const [index, key] of keys.entries()) {
      const part = await bucket.get(key, { onlyIf: { etagMatches: etags[index]! } });
      if (!part || !('body' in part)) throw new Error(`part ${index} changed or vanished after completion`);
      await part.body.pipeTo(writable, { preventClose: true });
    }
    await writable.close();
  } catch (error) {
    // Also the path of a reader that went away; the response is already cut short either way.
    await writable.abort(error).catch(() => undefined);
  }
}
