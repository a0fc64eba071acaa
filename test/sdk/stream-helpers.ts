/**
 * Stream fixtures: sources that deliver bytes in chosen chunkings, and readers that record what a
 * stream released before it ended or errored. Web platform only, like helpers.ts.
 */
import { expect } from 'vitest';
import { EdgeKmsError } from '../../sdk/index';

/** How a source cuts its bytes: a fixed chunk size, or random sizes from 1 to `max`. */
export type Chunking = number | { readonly random: number };

/** A tiny deterministic PRNG, so a failing chunking can be reproduced from its seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
}

/** Each chunk is a fresh copy, as a real source would hand over. */
export function sourceOf(data: Uint8Array, chunking: Chunking, seed = 1): ReadableStream<Uint8Array> {
  const random = prng(seed);
  let offset = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (offset >= data.byteLength) {
          controller.close();
          return;
        }
        const size = typeof chunking === 'number' ? chunking : 1 + Math.floor(random() * chunking.random);
        controller.enqueue(data.slice(offset, offset + size));
        offset += size;
      },
    },
    { highWaterMark: 0 },
  );
}

export function concat(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

export interface Outcome {
  /** Everything the stream released, joined. */
  readonly released: Uint8Array<ArrayBuffer>;
  /** The error the readable side ended with, or undefined if it closed normally. */
  readonly error: unknown;
}

/** Reads a stream to its end or its error. */
export async function readOutcome(stream: ReadableStream<Uint8Array>): Promise<Outcome> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
    }
  } catch (error) {
    return { released: concat(parts), error };
  }
  return { released: concat(parts), error: undefined };
}

/** Reads a stream that must close normally. */
export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array<ArrayBuffer>> {
  const { released, error } = await readOutcome(stream);
  if (error !== undefined) throw error;
  return released;
}

/** Pipes `data` through `transform` in the given chunking; the pipe's own failure is ignored. */
export function through(
  data: Uint8Array,
  transform: TransformStream<Uint8Array, Uint8Array>,
  chunking: Chunking,
  seed = 1,
): ReadableStream<Uint8Array> {
  return sourceOf(data, chunking, seed).pipeThrough(transform);
}

/** The readable side must have errored with an EdgeKmsError (named `name`, if given). */
export function expectStreamError(outcome: Outcome, name?: string): EdgeKmsError {
  expect(outcome.error, 'the stream should have errored').toBeInstanceOf(EdgeKmsError);
  if (name !== undefined) expect((outcome.error as Error).name).toBe(name);
  return outcome.error as EdgeKmsError;
}

/**
 * What a decryptor released before failing may only be whole, authenticated frames: a prefix of
 * the plaintext ending on a frame boundary (or the whole plaintext, once every frame verified and
 * only the footer failed).
 */
export function expectWholeFramePrefix(released: Uint8Array, plaintext: Uint8Array, frameLength: number): void {
  const whole = released.byteLength % frameLength === 0 || released.byteLength === plaintext.byteLength;
  expect(whole, `released ${released.byteLength} bytes: not a whole number of frames`).toBe(true);
  expect(released.byteLength).toBeLessThanOrEqual(plaintext.byteLength);
  let same = true;
  for (let i = 0; i < released.byteLength; i++) {
    if (released[i] !== plaintext[i]) {
      same = false;
      break;
    }
  }
  expect(same, 'released bytes are not the start of the plaintext').toBe(true);
}
