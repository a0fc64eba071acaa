/**
 * A transform stream (the readable/writable pair `pipeThrough` takes) whose failure reaches the
 * reader only after every chunk released before it.
 *
 * Why not a TransformStream: its controller.error() (and a transform that throws) empties the
 * readable side's queue, so chunks enqueued but not yet read are lost. A decryptor that released
 * two verified frames in one step and then met a bad tag would give its reader one frame, or
 * none, depending on how fast the reader was. Here the writable side errors at once (the writer
 * and the pipe's source stop), while the readable side keeps its queue and errors when the reader
 * asks for more with the queue empty, the one moment its pull is called.
 *
 * Otherwise it behaves as a TransformStream with the default strategies: `transform` runs only
 * once the reader wants more (backpressure), `flush` when the writer closes, cancelling the
 * readable errors the writable and aborting the writable errors the readable.
 */

export interface TransformOutput<O> {
  /** Releases a chunk to the reader; ignored once the stream has failed or been cancelled. */
  enqueue(chunk: O): void;
  /** Fails the stream: now on the writable side, after the queued chunks on the readable side. */
  error(reason: unknown): void;
}

export interface OrderedTransformer<I, O> {
  start?(output: TransformOutput<O>): void | Promise<void>;
  transform(chunk: I, output: TransformOutput<O>): void | Promise<void>;
  flush?(output: TransformOutput<O>): void | Promise<void>;
}

export function orderedTransform<I, O>(transformer: OrderedTransformer<I, O>): TransformStream<I, O> {
  let readableController!: ReadableStreamDefaultController<O>;
  let writableController!: WritableStreamDefaultController;
  // The readable side is finished: closed, errored or cancelled; nothing more may be enqueued.
  let ended = false;
  let failure: { reason: unknown } | undefined;
  // The reader has asked for a chunk that has not been enqueued yet (TransformStream's
  // backpressure flag, inverted); a write waits for it before transforming.
  let wanted = false;
  let onWanted: (() => void) | undefined;

  const endReadable = (reason: unknown): void => {
    if (ended) return;
    ended = true;
    readableController.error(reason);
  };

  const wake = (): void => {
    const resolve = onWanted;
    onWanted = undefined;
    resolve?.();
  };

  const output: TransformOutput<O> = {
    enqueue(chunk) {
      if (ended || failure !== undefined) return;
      // The chunk answers the read that set `wanted`; if another read waits, enqueue calls pull
      // again at once, which sets it back.
      wanted = false;
      readableController.enqueue(chunk);
    },
    error(reason) {
      if (failure !== undefined) return;
      failure = { reason };
      writableController.error(reason);
      // With a high-water mark of 0, desiredSize is 0 exactly when nothing waits to be read.
      if (readableController.desiredSize === 0) endReadable(reason);
      wake();
    },
  };

  /** Runs one step of the transformer; a throw fails the stream as `output.error` does. */
  const throwIfFailed = (): void => {
    if (failure !== undefined) throw failure.reason;
  };
  const run = async (step: () => void | Promise<void>): Promise<void> => {
    throwIfFailed();
    try {
      await step();
    } catch (error) {
      output.error(error);
    }
    throwIfFailed();
  };

  const readable = new ReadableStream<O>(
    {
      start(controller) {
        readableController = controller;
      },
      // Called only when the reader waits and the queue is empty.
      pull() {
        if (failure !== undefined) {
          endReadable(failure.reason);
          return;
        }
        wanted = true;
        wake();
      },
      cancel(reason) {
        ended = true;
        failure ??= { reason };
        writableController.error(reason);
        wake();
      },
    },
    { highWaterMark: 0 },
  );

  const writable = new WritableStream<I>({
    start(controller) {
      writableController = controller;
      return run(() => transformer.start?.(output));
    },
    async write(chunk) {
      while (!wanted && failure === undefined) await new Promise<void>((resolve) => (onWanted = resolve));
      await run(() => transformer.transform(chunk, output));
    },
    async close() {
      await run(() => transformer.flush?.(output));
      ended = true;
      readableController.close();
    },
    abort(reason) {
      failure ??= { reason };
      endReadable(reason);
    },
  });

  return { readable, writable };
}
