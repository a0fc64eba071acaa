/**
 * When to retry and how long to wait: throttling (429), server faults (5xx), timeouts and
 * network failures are retried; any other 4xx is the caller's problem and never is. Waits grow
 * exponentially with "full jitter" (a uniform draw below the cap, so clients that failed together
 * do not retry together), and a `Retry-After` from the service is a floor: the client never
 * comes back sooner than it was told to.
 */

export interface RetryPolicy {
  /** Retries after the first attempt (0 = no retries). */
  readonly retries: number;
  /** Cap of the first backoff; doubles each retry. */
  readonly baseDelayMs: number;
  /** No single wait exceeds this; a `Retry-After` beyond it ends the retries instead. */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({ retries: 3, baseDelayMs: 100, maxDelayMs: 20_000 });

/**
 * Operations safe to repeat when an attempt may already have taken effect (a 5xx, a timeout, a
 * lost connection). Others (CreateKey, CreateGrant, ScheduleKeyDeletion, ...) are retried only
 * after a 429, which says the service did not process the request.
 */
const IDEMPOTENT = /^(Encrypt|Decrypt|ReEncrypt|GenerateDataKey\w*|GenerateRandom|GenerateMac|VerifyMac|Sign|Verify|Describe\w+|Get\w+|List\w+)$/;

export function isIdempotent(operation: string): boolean {
  return IDEMPOTENT.test(operation);
}

/** HTTP statuses worth another attempt of `operation`. */
export function isRetryableStatus(status: number, operation: string): boolean {
  return status === 429 || (status >= 500 && isIdempotent(operation));
}

/**
 * The wait before retry number `retry` (1 for the first retry), or undefined when the service
 * asked for a longer pause than `maxDelayMs` allows.
 */
export function retryDelayMs(
  policy: RetryPolicy,
  retry: number,
  retryAfterMs: number | undefined,
  random: () => number,
): number | undefined {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  const jittered = Math.floor(random() * cap);
  if (retryAfterMs === undefined) return jittered;
  if (retryAfterMs > policy.maxDelayMs) return undefined;
  // At least what the service asked for, plus a little jitter so throttled clients spread out.
  return retryAfterMs + Math.floor(random() * Math.min(policy.baseDelayMs, cap));
}

/**
 * `Retry-After` in milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined if
 * absent or unreadable.
 */
export function parseRetryAfter(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
