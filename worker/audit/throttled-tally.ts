/**
 * Throttled requests are counted rather than each recorded, so that a flood
 * of them cannot grow the account's audit chain without bound. Per principal,
 * the first throttled request of a window is recorded as any request is; the
 * rest of that window only raise a count in memory, which becomes one
 * `edgekms:Throttled` record when the window ends (the AuditLog's alarm) or
 * at the principal's next throttled request after it, whichever is first.
 * So a principal writes at most two records per window however hard it pushes.
 */
export const THROTTLED_WINDOW_MS = 60_000;
/** Principals with an open window at once; past it the oldest window closes early, its count kept. */
const MAX_OPEN_WINDOWS = 10_000;

export interface ThrottledWindow {
  principal: string;
  /** When the window's first throttled request came (epoch ms); the window lasts THROTTLED_WINDOW_MS. */
  start: number;
  /** Throttled requests after the first, which have no record of their own. */
  count: number;
}

export class ThrottledTally {
  /** In order of opening, so the first entry is the window that ends first. */
  private readonly open = new Map<string, ThrottledWindow>();

  /**
   * Notes one throttled request: whether it must be recorded itself (it opens
   * a window), and the windows that have to be written out before it.
   */
  note(principal: string, time: number): { record: boolean; closed: ThrottledWindow[] } {
    const current = this.open.get(principal);
    if (current && time < current.start + THROTTLED_WINDOW_MS) {
      current.count++;
      return { record: false, closed: [] };
    }
    const closed: ThrottledWindow[] = [];
    if (current) {
      this.open.delete(principal);
      closed.push(current);
    }
    this.open.set(principal, { principal, start: time, count: 0 });
    if (this.open.size > MAX_OPEN_WINDOWS) {
      const oldest = this.open.values().next().value!;
      this.open.delete(oldest.principal);
      closed.push(oldest);
    }
    return { record: true, closed };
  }

  /** Removes and returns the windows that have ended by `now`. */
  takeEnded(now: number): ThrottledWindow[] {
    // All of them: request times come from the Worker, so windows may open a little out of order.
    const ended = [...this.open.values()].filter((window) => window.start + THROTTLED_WINDOW_MS <= now);
    for (const window of ended) this.open.delete(window.principal);
    return ended;
  }

  /** When the first window opened ends, if one is open (takeEnded then also takes any that opened out of order). */
  nextEnd(): number | undefined {
    const first = this.open.values().next().value;
    return first && first.start + THROTTLED_WINDOW_MS;
  }
}
