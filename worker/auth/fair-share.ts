import type { Principal } from './principal';
import { overrideFor, type ThrottleSettings } from './throttle';
import { ThrottlingException } from '../errors';

/**
 * Fair sharing of the Worker isolate between principals, so that one
 * principal at full speed cannot slow the others down. The isolate works on
 * `THROTTLE_CONCURRENCY` API requests at once, shared equally among the
 * principals with recent work (running, waiting, or finished in the last
 * RECENT_MS), at least one each: a principal running fewer than its share
 * starts at once, one running its share waits in its own queue, and each
 * place that frees goes to the waiting principal with the fewest running. A
 * principal with `THROTTLE_QUEUE` requests waiting, or a request that has
 * waited MAX_WAIT_MS, gets ThrottlingException.
 *
 * The limit counts requests in progress, not requests per second, so it
 * follows the server's capacity (Little's law: requests per second = requests
 * in progress / time per request). Under `wrangler dev` the Worker and its
 * Durable Objects share one thread: two requests in progress keep it busy,
 * and each one more adds a request's time to everyone's wait. Sizing for
 * production: docs/api.md, "Throttling". State lives in the isolate, like the
 * rate limits (throttle.ts), and a waiting request is handed its turn by the
 * request that frees it (the runtime's cross-request promise resolution).
 */
export interface FairShareSettings extends ThrottleSettings {
  /** Requests the isolate works on at once before principals take turns; "0" turns fair sharing off. */
  THROTTLE_CONCURRENCY?: string;
  /** Requests one principal may have waiting for a turn (THROTTLE_OVERRIDES may set `queue` per principal). */
  THROTTLE_QUEUE?: string;
}

export const DEFAULT_CONCURRENCY = 2;
export const DEFAULT_QUEUE = 32;
/**
 * A request that has waited this long for a turn is refused, well within the
 * SDK's 10 s attempt timeout: better a ThrottlingException its caller can
 * retry than work done for a caller that stopped waiting and retried anyway.
 */
export const MAX_WAIT_MS = 5_000;
/**
 * A principal counts towards the shares this long after its last request:
 * one that sends a request at a time is idle between them, and its next
 * request should not find the others already holding its share.
 */
export const RECENT_MS = 1_000;
/** Requests waiting in all, whatever the principal: a bound on the isolate's memory. */
const MAX_WAITING = 1024;
/** Principals remembered for their recent work; past it, the longest idle are forgotten first. */
const MAX_LANES = 10_000;
/**
 * A place not given back after this long is taken back. A request whose
 * caller went away may be cancelled by the runtime without its `finally`
 * running; its place must not be lost for good.
 */
const LEASE_MS = 60_000;

interface Waiter {
  since: number;
  admit: (lease: symbol) => void;
}

interface Lane {
  principal: string;
  /** When each running request of the principal started, by lease. */
  running: Map<symbol, number>;
  waiting: Waiter[];
  /** Nothing running or waiting, since `idleSince`; the lane counts towards the shares until RECENT_MS after. */
  isIdle: boolean;
  idleSince: number;
}

export interface Limits {
  concurrency: number;
  queue: number;
  maxWaitMs: number;
}

/** The scheduler, with its clock passed in so that tests can drive it. */
export class FairShare {
  /** Principals with recent work, the longest idle first. */
  private readonly lanes = new Map<string, Lane>();
  private readonly queued = new Set<Lane>();
  private running = 0;
  private waiting = 0;
  /** Principals with recent work but nothing running or waiting now. */
  private idle = 0;
  private swept = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Runs `work` once `principal` has a turn; throws ThrottlingException if it gets none. */
  async run<T>(principal: string, limits: Limits, work: () => Promise<T>): Promise<T> {
    const lease = await this.acquire(principal, limits);
    try {
      return await work();
    } finally {
      this.release(principal, lease, limits);
    }
  }

  /** Requests running and waiting, in all or for one principal, and the principals sharing: for tests and diagnostics. */
  stats(principal?: string): { running: number; waiting: number; principals: number } {
    const lane = principal === undefined ? undefined : this.lanes.get(principal);
    if (principal === undefined) return { running: this.running, waiting: this.waiting, principals: this.lanes.size };
    return { running: lane?.running.size ?? 0, waiting: lane?.waiting.length ?? 0, principals: this.lanes.size };
  }

  private async acquire(principal: string, limits: Limits): Promise<symbol> {
    const time = this.now();
    this.sweep(limits, time);
    const lane = this.lane(principal, time);
    if (lane.waiting.length === 0 && this.mayStart(lane, limits)) return this.start(lane, time);
    if (lane.waiting.length >= limits.queue || this.waiting >= MAX_WAITING) {
      throw saturated(principal, `${lane.running.size} running and ${lane.waiting.length} waiting`);
    }
    // The timer bounds the wait, and keeps this request alive for the runtime
    // meanwhile: a request waiting only for another to wake it looks hung.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const lease = await new Promise<symbol | undefined>((resolve) => {
      const waiter: Waiter = { since: time, admit: resolve };
      lane.waiting.push(waiter);
      this.queued.add(lane);
      this.waiting++;
      timer = setTimeout(() => {
        this.withdraw(lane, waiter);
        resolve(undefined);
      }, limits.maxWaitMs);
    });
    clearTimeout(timer);
    if (lease === undefined) {
      this.markIdle(principal, lane, this.now());
      throw saturated(principal, `waited ${limits.maxWaitMs / 1000} s for a turn`);
    }
    return lease;
  }

  private release(principal: string, lease: symbol, limits: Limits): void {
    const time = this.now();
    const lane = this.lanes.get(principal);
    if (lane?.running.delete(lease)) {
      this.running--;
      this.markIdle(principal, lane, time);
    }
    // A burst may be served from the queue with no new request arriving: the sweep runs here too.
    this.sweep(limits, time);
    this.dispatch(limits, time);
  }

  /** Hands free places to waiting requests: the principal with the fewest running first, then the longest waiting. */
  private dispatch(limits: Limits, time: number): void {
    for (;;) {
      let next: Lane | undefined;
      for (const lane of this.queued) {
        if (!this.mayStart(lane, limits)) continue;
        if (!next || lane.running.size < next.running.size || (lane.running.size === next.running.size && lane.waiting[0]!.since < next.waiting[0]!.since)) {
          next = lane;
        }
      }
      if (!next) return;
      const waiter = next.waiting.shift()!;
      this.waiting--;
      if (next.waiting.length === 0) this.queued.delete(next);
      // A waiter past its deadline whose timer never fired belongs to a request the runtime cancelled.
      if (time - waiter.since > limits.maxWaitMs + 1000) {
        this.markIdle(next.principal, next, time);
        continue;
      }
      // The place is the waiter's from now, so that no newcomer takes it first.
      waiter.admit(this.start(next, time));
    }
  }

  private start(lane: Lane, time: number): symbol {
    const lease = Symbol('lease');
    lane.running.set(lease, time);
    this.running++;
    return lease;
  }

  /**
   * Within its share a principal always starts. Beyond it, only into a place
   * that nobody waits for and that leaves one free for each other principal
   * idle between requests: their next request then finds its place free,
   * rather than taken by this principal's (one principal alone has the whole
   * limit).
   */
  private mayStart(lane: Lane, limits: Limits): boolean {
    if (lane.running.size < Math.max(1, Math.floor(limits.concurrency / this.lanes.size))) return true;
    return this.waiting === lane.waiting.length && this.running + this.idle < limits.concurrency;
  }

  private withdraw(lane: Lane, waiter: Waiter): void {
    const index = lane.waiting.indexOf(waiter);
    if (index < 0) return;
    lane.waiting.splice(index, 1);
    this.waiting--;
    if (lane.waiting.length === 0) this.queued.delete(lane);
  }

  /** The principal's lane, which is not idle from now on (its request starts or waits). */
  private lane(principal: string, time: number): Lane {
    let lane = this.lanes.get(principal);
    if (!lane) {
      lane = { principal, running: new Map(), waiting: [], idleSince: time, isIdle: false };
      this.lanes.set(principal, lane);
      if (this.lanes.size > MAX_LANES) this.forgetIdle(time, 0);
    } else if (lane.isIdle) {
      lane.isIdle = false;
      this.idle--;
    }
    return lane;
  }

  /** A lane with nothing left moves to the end of the map, which stays in order of going idle. */
  private markIdle(principal: string, lane: Lane, time: number): void {
    if (lane.isIdle || lane.running.size > 0 || lane.waiting.length > 0) return;
    lane.isIdle = true;
    lane.idleSince = time;
    this.idle++;
    this.lanes.delete(principal);
    this.lanes.set(principal, lane);
  }

  /** Forgets principals idle for `idleMs` or longer. */
  private forgetIdle(time: number, idleMs: number): void {
    for (const [principal, lane] of this.lanes) {
      if (!lane.isIdle || time - lane.idleSince < idleMs) continue;
      this.lanes.delete(principal);
      this.idle--;
      if (idleMs === 0 && this.lanes.size <= MAX_LANES) return;
    }
  }

  /**
   * At most once every RECENT_MS: forgets principals idle since, and takes
   * back places held past LEASE_MS (it visits every lane).
   */
  private sweep(limits: Limits, time: number): void {
    if (time - this.swept < RECENT_MS) return;
    this.swept = time;
    for (const [principal, lane] of this.lanes) {
      for (const [lease, since] of lane.running) {
        if (time - since < LEASE_MS) continue;
        lane.running.delete(lease);
        this.running--;
        this.markIdle(principal, lane, time);
      }
    }
    this.forgetIdle(time, RECENT_MS);
    this.dispatch(limits, time);
  }
}

function saturated(principal: string, detail: string): ThrottlingException {
  return new ThrottlingException(
    `You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls. (The service is saturated and ${principal} has ${detail}.)`,
    1,
  );
}

export function fairShareLimits(principal: Principal, settings: FairShareSettings): Limits {
  return {
    concurrency: Number(settings.THROTTLE_CONCURRENCY ?? DEFAULT_CONCURRENCY),
    queue: overrideFor(principal, settings).queue ?? Number(settings.THROTTLE_QUEUE ?? DEFAULT_QUEUE),
    maxWaitMs: MAX_WAIT_MS,
  };
}

const isolate = new FairShare();

/** Runs one API request's work under the isolate's fair sharing (off with THROTTLE_CONCURRENCY=0). */
export function withFairShare<T>(principal: Principal, settings: FairShareSettings, work: () => Promise<T>): Promise<T> {
  const limits = fairShareLimits(principal, settings);
  if (!(limits.concurrency > 0)) return work();
  return isolate.run(principal.arn, limits, work);
}
