/**
 * Keeps a few frames' cryptography in flight while releasing their results strictly in order.
 * WebCrypto calls overlap (in Node and workerd they run off the main thread), so a stream that
 * awaited each frame before starting the next would leave most of the hardware idle; one that
 * started every frame at once would hold the whole message. `add` waits while `limit` frames are
 * in flight or finished but not yet released, which bounds memory at `limit` frames.
 *
 * Results are released in order as soon as every earlier one is; after the first failure nothing
 * more is released, `onError` is called once, and every later `add` or `drain` throws it.
 */
export class OrderedWork<T> {
  private readonly slots: { done: boolean; value: T | undefined; readonly settled: Promise<void> }[] = [];
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
    this.throwIfFailed();
    const slot = {
      done: false,
      value: undefined as T | undefined,
      settled: task.then(
        (value) => {
          slot.done = true;
          slot.value = value;
          this.pump();
        },
        (error: unknown) => this.fail(error),
      ),
    };
    this.slots.push(slot);
    while (this.slots.length >= this.limit) await this.waitForHead();
  }

  /** Resolves when everything queued has been released; throws the first failure. */
  async drain(): Promise<void> {
    while (this.slots.length > 0) await this.waitForHead();
    this.throwIfFailed();
  }

  private async waitForHead(): Promise<void> {
    await this.slots[0]!.settled;
    this.throwIfFailed();
  }

  private pump(): void {
    while (!this.failed && this.slots[0]?.done === true) {
      const slot = this.slots.shift()!;
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
