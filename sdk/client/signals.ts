/**
 * Cancellation: one attempt's `AbortSignal` fires when the caller's signal does or when the
 * attempt's time is up, and says which (so a timeout is reported as `KmsTimeoutError` and a
 * caller's abort as the caller's own reason). Written without `AbortSignal.any`/`.timeout`, which
 * not every runtime this SDK targets has, and with injectable timers so tests need no real time.
 */

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const REAL_TIMERS: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface AttemptSignal {
  readonly signal: AbortSignal;
  /** True once the attempt's own deadline passed (as opposed to the caller aborting). */
  timedOut(): boolean;
  /** Stops the timer and the listener on the caller's signal; call when the attempt is over. */
  dispose(): void;
}

/** A signal for one attempt: aborted by `parent` or after `timeoutMs` (0 or Infinity: never). */
export function attemptSignal(parent: AbortSignal | undefined, timeoutMs: number, timers: Timers): AttemptSignal {
  const controller = new AbortController();
  let timedOut = false;
  const onParentAbort = () => controller.abort(parent!.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  const handle =
    timeoutMs > 0 && Number.isFinite(timeoutMs)
      ? timers.setTimeout(() => {
          timedOut = true;
          controller.abort(new DOMException('The operation timed out.', 'TimeoutError'));
        }, timeoutMs)
      : undefined;
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose() {
      if (handle !== undefined) timers.clearTimeout(handle);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined, timers: Timers = REAL_TIMERS): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      timers.clearTimeout(handle);
      reject(signal!.reason);
    };
    const handle = timers.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
