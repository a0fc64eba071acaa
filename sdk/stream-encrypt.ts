/**
 * Streaming encryption: a TransformStream from plaintext bytes to a complete message, in the same
 * format, with the same header, frames and footer as `encrypt` writes (both are built on
 * message.ts). Plaintext is cut into frames as it arrives, a few frames are encrypted at once,
 * and frames leave in order; memory stays at a few frames (plus the chunk being written) however
 * long the stream is.
 *
 *   file.stream().pipeThrough(encryptStream(keyring, { encryptionContext: { tenant: 'acme' } }))
 */
import type { Bytes } from './bytes';
import { InvalidArgumentError } from './errors';
import { MAX_SEQUENCE_NUMBER, serializeFooter } from './format';
import type { Keyring } from './keyring';
import type { EncryptionContext } from './materials';
import { type MaterialsManager, materialsManagerFor } from './materials-manager';
import { type EncryptionSession, type SealedFrame, beginEncryption, encryptFrame, resolveEncryptionParameters } from './message';
import { streamChunkBytes } from './stream-input';
import { OrderedWork } from './stream-order';
import { orderedTransform } from './stream-transform';
import type { SuiteId } from './suites';

/**
 * Plaintext bytes per frame written by the streams unless told otherwise: 256 KiB. Larger than
 * the buffer API's 4 KiB because each frame costs a WebCrypto call and a few stream steps: on
 * Node 20, 64 MiB streamed in 16 KiB frames ran at 0.1-0.3x raw AES-GCM, in 64 KiB frames at
 * 0.4-0.7x, in 256 KiB frames at 0.8-1.2x and in 1 MiB frames at about 1x. 256 KiB keeps a
 * stream's memory at a couple of MiB and stays well under decryptStream's default
 * maxFrameLength (1 MiB).
 */
export const DEFAULT_STREAM_FRAME_LENGTH = 256 * 1024;
/** Frames whose AES-GCM runs at once, or are done and wait for an earlier one. */
export const STREAM_FRAMES_IN_FLIGHT = 4;

export interface EncryptStreamOptions {
  /** Authenticated, non-secret strings bound to the message; keys starting "aws-crypto-" are reserved. */
  readonly encryptionContext?: EncryptionContext;
  /** 0x0478 (default) or 0x0578 (adds an ECDSA P-384 signature, over incremental SHA-384). */
  readonly suite?: SuiteId;
  /** Plaintext bytes per frame, 1 to 2^32 - 1; default DEFAULT_STREAM_FRAME_LENGTH (256 KiB). */
  readonly frameLength?: number;
  /** Refuse to write a message with more encrypted data keys than this (no limit by default). */
  readonly maxEncryptedDataKeys?: number;
}

/**
 * Returns a TransformStream whose writable side takes plaintext (Uint8Array, any other
 * ArrayBufferView, or ArrayBuffer chunks) and whose readable side gives the message. The keyring
 * is asked for a data key when the stream is created; if that fails, the stream errors.
 */
export function encryptStream(
  keyring: Keyring | MaterialsManager,
  options: EncryptStreamOptions = {},
): TransformStream<Uint8Array, Uint8Array> {
  const manager = materialsManagerFor(keyring);
  const { suite, frameLength } = resolveEncryptionParameters(options, DEFAULT_STREAM_FRAME_LENGTH);

  let session!: EncryptionSession;
  let work!: OrderedWork<SealedFrame>;
  // The frame being filled. A full frame is held until more bytes arrive, because only then is
  // it known not to be the final frame (an exact multiple ends in a full final frame, as in
  // `encrypt`).
  let frame: Bytes = new Uint8Array(0);
  let filled = 0;
  let sequenceNumber = 0;

  const seal = (final: boolean, plaintext: Bytes): Promise<void> => {
    if (sequenceNumber === MAX_SEQUENCE_NUMBER) throw new InvalidArgumentError('plaintext needs more than 2^32 - 1 frames');
    sequenceNumber++;
    // WebCrypto copies its input when called, so `plaintext` may be reused once this returns.
    return work.add(encryptFrame(session, final, sequenceNumber, plaintext));
  };

  /** Room for `needed` bytes in `frame`, growing it only as far as data actually arrives. */
  const reserve = (needed: number): void => {
    if (needed <= frame.byteLength) return;
    const grown = new Uint8Array(Math.min(frameLength, Math.max(needed, 2 * frame.byteLength, 64 * 1024)));
    grown.set(frame.subarray(0, filled));
    frame = grown;
  };

  return orderedTransform<Uint8Array, Uint8Array>({
    async start(controller) {
      session = await beginEncryption(manager, options, suite, frameLength, undefined);
      const { signer } = session;
      work = new OrderedWork<SealedFrame>(
        STREAM_FRAMES_IN_FLIGHT,
        ({ prefix, sealed }) => {
          signer?.update(prefix).update(sealed);
          controller.enqueue(prefix);
          controller.enqueue(sealed);
        },
        (error) => controller.error(error),
      );
      controller.enqueue(session.headerBytes);
    },

    async transform(chunk) {
      const bytes = streamChunkBytes(chunk, 'plaintext');
      let offset = 0;
      while (offset < bytes.byteLength) {
        if (filled === frameLength) {
          await seal(false, frame.subarray(0, filled));
          filled = 0;
        }
        const remaining = bytes.byteLength - offset;
        if (filled === 0 && remaining > frameLength) {
          // A whole frame inside the chunk, with more after it: encrypt it in place, no copy.
          await seal(false, bytes.subarray(offset, offset + frameLength));
          offset += frameLength;
          continue;
        }
        const take = Math.min(frameLength - filled, remaining);
        reserve(filled + take);
        frame.set(bytes.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
      }
    },

    async flush(controller) {
      await seal(true, frame.subarray(0, filled));
      frame = new Uint8Array(0);
      await work.drain();
      if (session.signer !== undefined) controller.enqueue(serializeFooter(await session.signer.sign()));
    },
  });
}
