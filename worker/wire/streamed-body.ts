import { ValidationException } from '../errors';

/**
 * A request body that declared its length, passed on as a stream of exactly that length, so
 * that storage can take it without the Worker holding it: R2 stores a stream only if it knows
 * its length up front, and FixedLengthStream tells it while refusing to carry more or fewer
 * bytes than declared (a declared length is a claim, and a body can break off).
 */
export interface StreamedBody {
  readonly stream: ReadableStream<Uint8Array>;
  readonly bytes: number;
  /** Settles once the body has gone through; a body that broke off or was not as declared rejects (400). */
  readonly received: Promise<void>;
}

/**
 * The body as a stream, if it declares a length of at most `limit` bytes; undefined if it declares
 * none (a chunked body: buffer it with readBoundedBody, which counts it). Too long is a 400 before
 * anything is read.
 */
export function streamedBody(request: Request, limit: number, what: string): StreamedBody | undefined {
  const declared = request.headers.get('content-length');
  if (declared === null || !/^\d{1,16}$/.test(declared)) return undefined;
  const bytes = Number(declared);
  if (bytes > limit) throw new ValidationException(`${what} exceeds ${limit} bytes.`);
  const { readable, writable } = new FixedLengthStream(bytes);
  const body = request.body ?? new ReadableStream<Uint8Array>({ start: (controller) => controller.close() });
  const notAsDeclared = () => new ValidationException(`${what} is not the ${bytes} bytes its Content-Length declares, or ended before it was complete.`);
  const received = copyCounting(body, writable).then(
    (seen) => {
      if (seen !== bytes) throw notAsDeclared();
    },
    () => {
      throw notAsDeclared();
    },
  );
  return { stream: readable, bytes, received };
}


/**
 * pipeTo, counting the bytes: FixedLengthStream reports a short body to its reader (the storage),
 * as an error of the storage's call, so the count is what tells the caller's fault from the storage's.
 */
async function copyCounting(from: ReadableStream<Uint8Array>, to: WritableStream<Uint8Array>): Promise<number> {
  const reader = from.getReader();
  const writer = to.getWriter();
  let seen = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      seen += value.byteLength;
      await writer.write(value);
    }
    await writer.close();
    return seen;
  } catch (error) {
    await Promise.all([reader.cancel(error).catch(() => undefined), writer.abort(error).catch(() => undefined)]);
    throw error;
  }
}
