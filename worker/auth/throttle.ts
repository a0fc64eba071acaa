import type { Principal } from './principal';
import { ThrottlingException } from '../errors';

/**
 * Per-principal request rate limits: a token bucket per principal, refilled
 * at `rate` requests per second up to `burst`. On by default with generous
 * limits; `THROTTLE_RATE=0` turns it off. Buckets live in the Worker
 * isolate's memory, so on Cloudflare's network each location enforces its
 * own limit (docs/security.md); the check runs before any operation, so a
 * throttled request changes no state.
 */
export interface ThrottleSettings {
  THROTTLE_RATE?: string;
  THROTTLE_BURST?: string;
  /** JSON: { "<principal ARN>": { "rate": n, "burst": n, "queue": n } }; `queue` is fair-share.ts's. */
  THROTTLE_OVERRIDES?: string;
}

interface Limit {
  rate: number;
  burst: number;
}

/** One principal's entry in THROTTLE_OVERRIDES; what it leaves out comes from the defaults. */
export interface Override {
  rate?: number;
  burst?: number;
  queue?: number;
}

interface Bucket {
  tokens: number;
  updated: number;
}

const DEFAULT_RATE = 200;
const DEFAULT_BURST = 400;
const MAX_BUCKETS = 10_000;

const buckets = new Map<string, Bucket>();
let overrides: { source: string; limits: Map<string, Override> } | undefined;

/** The principal's THROTTLE_OVERRIDES entry (empty if none), parsed once per configuration. */
export function overrideFor(principal: Principal, settings: ThrottleSettings): Override {
  const source = settings.THROTTLE_OVERRIDES ?? '';
  if (overrides?.source !== source) {
    const parsed = source ? (JSON.parse(source) as Record<string, Override>) : {};
    overrides = { source, limits: new Map(Object.entries(parsed)) };
  }
  return overrides.limits.get(principal.arn) ?? {};
}

function limitFor(principal: Principal, settings: ThrottleSettings): Limit {
  const override = overrideFor(principal, settings);
  const rate = Number(settings.THROTTLE_RATE ?? DEFAULT_RATE);
  const burst = Number(settings.THROTTLE_BURST ?? (settings.THROTTLE_RATE ? 2 * rate : DEFAULT_BURST));
  return { rate: override.rate ?? rate, burst: override.burst ?? (override.rate !== undefined ? 2 * override.rate : burst) };
}

export function throttle(principal: Principal, settings: ThrottleSettings, now = Date.now()): void {
  const { rate, burst } = limitFor(principal, settings);
  if (!(rate > 0)) return;
  const key = principal.arn;
  const bucket = buckets.get(key) ?? { tokens: burst, updated: now };
  bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.updated) / 1000) * rate);
  bucket.updated = now;
  // Re-inserting keeps the map in least-recently-used order for eviction.
  buckets.delete(key);
  buckets.set(key, bucket);
  if (buckets.size > MAX_BUCKETS) buckets.delete(buckets.keys().next().value!);
  if (bucket.tokens < 1) {
    const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / rate));
    throw new ThrottlingException(`Rate exceeded for ${principal.arn}; retry after ${retryAfterSeconds} s.`, retryAfterSeconds);
  }
  bucket.tokens -= 1;
}
