/**
 * Runs `task(0) … task(count - 1)` with at most `limit` in flight. WebCrypto calls are
 * asynchronous and can overlap (in Node and workerd they run off the main thread), so keeping a
 * few frames in flight is much faster than awaiting them one by one, while the limit keeps the
 * number of pending buffers small. After a failure no further task starts.
 */
export async function forEachLimited(count: number, limit: number, task: (index: number) => Promise<void>): Promise<void> {
  // A small message has one frame: no workers to set up for it.
  if (count === 1) return task(0);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < count) {
      try {
        await task(next++);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}
