/**
 * Keeps a few frames' cryptography in flight while releasing their results strictly in order.
 * WebCrypto calls overlap (in Node and workerd they run off the main thread), so a stream that
 * awaited each frame before starting the next would leave most of the hardware idle; one that
 * started every frame at once would hold the whole message. `add` waits while `limit` frames are
 * in flight or finished but not yet released, which bounds memory at `limit` frames.
 *
 * Results are released in order as soon as every earlier one is. A failure takes effect in order
 * too: every result before it is released first (so a decryptor gives out each frame that
 * verified before the one that did not), then `onError` is called once, nothing more is released,
 * and every later `add` or `drain` throws the failure. (The streams' orderedTransform hands the
 * failure to the reader only after it has read what was released.)
 */
export class OrderedWork<T> {
  private readonly slots: Slot<T>[] = [];
  private failed = false;
  private failure: unknown;

  constructor(
    private readonly limit: number,
    private readonly release: (value: T) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Number of tasks in flight or waiting to be released. */
  get size(): number {
    return this.slots.length;
  }

  /** Queues a started task; resolves once there is room for another. */
  async add(task: Promise<T>): Promise<void> {
    if (this.failed) {
      // The task was started before the failure was known; its outcome no longer matters, and an
      // unobserved rejection would surface as an unhandled one.
      task.catch(() => undefined);
      throw this.failure;
    }
    const slot: Slot<T> = { state: 'pending', value: undefined, error: undefined, settled: Promise.resolve() };
    slot.settled = task.then(
      (value) => {
        slot.state = 'done';
        slot.value = value;
        this.pump();
      },
      (error: unknown) => {
        slot.state = 'failed';
        slot.error = error;
        this.pump();
      },
    );
    this.slots.push(slot);
    while (this.slots.length >= this.limit) await this.waitForHead();
  }

  /** Resolves when everything queued has been released; throws the first failure. */
  async drain(): Promise<void> {
    while (this.slots.length > 0) await this.waitForHead();
    this.throwIfFailed();
  }

  /**
   * Waits until every queued task has settled, releasing what comes before any failure; never
   * throws. Used before failing for another reason (a malformed or truncated message), so the
   * frames that verified before that point are released first.
   */
  async settle(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.settled));
  }

  private async waitForHead(): Promise<void> {
    await this.slots[0]!.settled;
    this.throwIfFailed();
  }

  private pump(): void {
    while (!this.failed && this.slots.length > 0 && this.slots[0]!.state !== 'pending') {
      const slot = this.slots.shift()!;
      if (slot.state === 'failed') {
        this.fail(slot.error);
        return;
      }
      const value = slot.value as T;
      slot.value = undefined;
      try {
        this.release(value);
      } catch (error) {
        this.fail(error);
      }
    }
  }

  private fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.failure = error;
    // Results finished after the failure are dropped, never released.
    for (const slot of this.slots) slot.value = undefined;
    this.onError(error);
  }

  private throwIfFailed(): void {
    if (this.failed) throw this.failure;
  }
}

interface Slot<T> {
  state: 'pending' | 'done' | 'failed';
  value: T | undefined;
  error: unknown;
  settled: Promise<void>;
}
