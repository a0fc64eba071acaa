/**
 * Streaming decryption: a TransformStream from a message's bytes to its plaintext, built on the
 * same parsers and checks as `decrypt` (format.ts, message.ts).
 *
 * - The header is parsed as it arrives, each field once (HeaderParser resumes where the bytes
 *   ended, so a header in one-byte chunks costs O(length)); the expected context, the encrypted
 *   data key limit and maxFrameLength are checked before the keyring is asked for the data key,
 *   and the frame length before any frame is buffered. Then the key commitment and the header tag.
 * - Each frame is released only after its tag verifies, in order; a few frames are decrypted at
 *   once. Memory stays at a few frames (plus the chunk being written).
 * - Signed suites: the message is hashed incrementally as it goes by, and the signature is
 *   verified at the footer. By default frames are released as their tags verify and a bad
 *   signature errors the stream at the end; with `holdUntilSignatureVerified` nothing is released
 *   until the signature has verified (and the plaintext is held in memory until then).
 * - A stream that ends before the final frame (or the footer) errors with MalformedMessageError,
 *   never ends quietly with a short plaintext; so do bytes after the end of the message.
 */
import type { Bytes } from './bytes';
import { AuthenticationError, FrameLengthLimitError, InvalidArgumentError, MalformedMessageError } from './errors';
import { checkExpectedContext } from './expected-context';
import {
  FINAL_FRAME_MARKER,
  HeaderParser,
  type MessageHeader,
  type ParsedHeader,
  assertMaxEncryptedDataKeys,
  frameSize,
  parseFooter,
  parseFrame,
} from './format';
import type { Keyring } from './keyring';
import type { EncryptionContext } from './materials';
import { type MaterialsManager, materialsManagerFor } from './materials-manager';
import { type DecryptionSession, beginDecryption, decryptFrame } from './message';
import { checkCommitmentPolicy, resolveCommitmentPolicy } from './commitment-policy';
import type { CommitmentPolicy } from './suites';
import { STREAM_FRAMES_IN_FLIGHT } from './stream-encrypt';
import { streamChunkBytes } from './stream-input';
import { OrderedWork } from './stream-order';
import { type TransformOutput, orderedTransform } from './stream-transform';

/**
 * The largest frame length decryptStream accepts unless told otherwise: 1 MiB. A stream holds a
 * few frames at once, so this bounds its memory; the official SDK writes 4 KiB frames, `encrypt`
 * 64 KiB ones (DEFAULT_FRAME_LENGTH) and encryptStream 256 KiB ones (DEFAULT_STREAM_FRAME_LENGTH), so real messages are far
 * below it.
 */
export const DEFAULT_MAX_FRAME_LENGTH = 1024 * 1024;

/**
 * A stream refuses a header longer than this (1 MiB) instead of buffering it without end. Real
 * headers are a few hundred bytes per encrypted data key; the buffer API has no such limit, since
 * it holds the whole message anyway.
 */
export const MAX_STREAM_HEADER_LENGTH = 1024 * 1024;

export interface DecryptStreamOptions {
  /** Entries the message's encryption context must contain, with these values. */
  readonly expectedContext?: EncryptionContext;
  /** Refuse messages with more encrypted data keys than this (no limit by default). */
  readonly maxEncryptedDataKeys?: number;
  /** Refuse messages whose frame length exceeds this; default DEFAULT_MAX_FRAME_LENGTH (1 MiB). */
  readonly maxFrameLength?: number;
  /**
   * Signed suites only: release no plaintext until the signature at the end has verified. The
   * whole plaintext is then held in memory. Without it, each frame is released once its own tag
   * verifies, and a bad signature errors the stream after the plaintext went out.
   */
  readonly holdUntilSignatureVerified?: boolean;
  /** Called once the header has been authenticated, with its parsed fields. */
  readonly onHeader?: (header: MessageHeader) => void;
  /** As decrypt's: REQUIRE_ENCRYPT_ALLOW_DECRYPT also reads message format 1. */
  readonly commitmentPolicy?: CommitmentPolicy;
  /** As decrypt's: the context supplied again, covering entries the message does not store. */
  readonly reproducedContext?: EncryptionContext;
}

type State = 'header' | 'frames' | 'footer' | 'done';

const FRAME_PREFIX_LENGTH = 4; // a sequence number or the final-frame marker
const FINAL_FRAME_FIXED_LENGTH = 4 + 4 + 12 + 4; // marker, sequence number, IV, content length

export function decryptStream(
  keyring: Keyring | MaterialsManager,
  options: DecryptStreamOptions = {},
): TransformStream<Uint8Array, Uint8Array> {
  const manager = materialsManagerFor(keyring);
  assertMaxEncryptedDataKeys(options.maxEncryptedDataKeys);
  const maxFrameLength = options.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH;
  if (!Number.isSafeInteger(maxFrameLength) || maxFrameLength < 1) {
    throw new InvalidArgumentError('maxFrameLength must be a positive integer');
  }
  const hold = options.holdUntilSignatureVerified === true;

  let state: State = 'header';
  let parsed!: ParsedHeader;
  let session!: DecryptionSession;
  let work!: OrderedWork<Bytes>;
  let controller!: TransformOutput<Uint8Array>;
  let sequenceNumber = 1;
  const held: Bytes[] = [];

  // Bytes of an incomplete structure carried over between chunks: the header while it arrives,
  // then at most one frame (or the footer) at a time.
  let carry: Bytes = new Uint8Array(0);
  let carried = 0;

  const append = (bytes: Bytes, capacity: number): void => {
    if (carried + bytes.byteLength > carry.byteLength) {
      const grown = new Uint8Array(Math.max(carried + bytes.byteLength, Math.min(capacity, 2 * carry.byteLength)));
      grown.set(carry.subarray(0, carried));
      carry = grown;
    }
    carry.set(bytes, carried);
    carried += bytes.byteLength;
  };

  /** Total bytes the structure at the start of `carry` needs before it can be parsed. */
  const bytesNeeded = (): number => {
    const { suite } = parsed;
    if (state === 'footer') {
      return carried < 2 ? 2 : 2 + new DataView(carry.buffer, carry.byteOffset).getUint16(0);
    }
    if (carried < FRAME_PREFIX_LENGTH) return FRAME_PREFIX_LENGTH;
    const view = new DataView(carry.buffer, carry.byteOffset);
    if (view.getUint32(0) !== FINAL_FRAME_MARKER) return frameSize(suite, false, parsed.header.frameLength);
    if (carried < FINAL_FRAME_FIXED_LENGTH) return FINAL_FRAME_FIXED_LENGTH;
    // parseFrame refuses a content length above the frame length; never wait for more than that.
    return frameSize(suite, true, Math.min(view.getUint32(20), parsed.header.frameLength));
  };

  const commitmentPolicy = resolveCommitmentPolicy(options.commitmentPolicy);
  const headerParser = new HeaderParser({
    maxEncryptedDataKeys: options.maxEncryptedDataKeys,
    checkSuite: (suite) => checkCommitmentPolicy(suite, commitmentPolicy),
  });

  /**
   * Feeds the header parser, which goes on from where it stopped, and only once the bytes it asked
   * for are there: a header cut into n chunks costs O(length), not n parses of the whole prefix.
   */
  const readHeader = async (bytes: Bytes): Promise<Bytes | undefined> => {
    let input = bytes;
    let found = carried === 0 ? headerParser.resume(bytes) : undefined;
    if (found === undefined) {
      append(bytes, Number.MAX_SAFE_INTEGER);
      input = carry.subarray(0, carried);
      found = headerParser.resume(input);
    }
    if (found === undefined) {
      if (headerParser.needed > MAX_STREAM_HEADER_LENGTH) throw new MalformedMessageError(`header is longer than ${MAX_STREAM_HEADER_LENGTH} bytes`);
      return undefined;
    }
    const { headerLength, frameLength } = found.header;
    if (frameLength > maxFrameLength) {
      throw new FrameLengthLimitError(`message frame length ${frameLength} exceeds maxFrameLength ${maxFrameLength}`);
    }
    checkExpectedContext(found.header.encryptionContext, options.expectedContext);
    // The parser's views are of its own copy of the header, none of the caller's chunk.
    parsed = found;
    const rest = input.subarray(headerLength);
    carry = new Uint8Array(0);
    carried = 0;
    session = await beginDecryption(manager, parsed, options.reproducedContext);
    session.verifier?.update(parsed.bytes);
    options.onHeader?.(parsed.header);
    state = 'frames';
    return rest;
  };

  /**
   * Consumes one frame or the footer at `offset` of `bytes` if it is all there: returns the
   * offset after it, or -1 if more bytes are needed.
   */
  const consume = async (bytes: Bytes, offset: number): Promise<number> => {
    if (state === 'footer') {
      const footer = parseFooter(bytes, offset);
      if (footer === undefined) return -1;
      if (!(await session.verifier!.verify(footer.signature))) throw new AuthenticationError('message signature did not verify');
      state = 'done';
      return footer.end;
    }
    const frame = parseFrame(bytes, offset, parsed, sequenceNumber);
    if (frame === undefined) return -1;
    session.verifier?.update(bytes.subarray(offset, frame.end));
    sequenceNumber++;
    if (frame.final) state = parsed.suite.signed ? 'footer' : 'done';
    // WebCrypto copies its input when called, so `bytes` may be reused once this returns.
    await work.add(decryptFrame(session, parsed.header, frame));
    return frame.end;
  };

  const process = async (bytes: Bytes): Promise<void> => {
    let offset = 0;
    while (offset < bytes.byteLength) {
      if (state === 'done') throw new MalformedMessageError('unexpected bytes after the end of the message');
      if (carried === 0) {
        // Whole structures inside the chunk are parsed in place, without copying.
        const end = await consume(bytes, offset);
        if (end >= 0) {
          offset = end;
          continue;
        }
      }
      const needed = bytesNeeded();
      const take = Math.min(needed - carried, bytes.byteLength - offset);
      append(bytes.subarray(offset, offset + take), needed);
      offset += take;
      if (carried === needed) {
        // Parsing may also refuse the structure early, or find that it needs more bytes.
        const end = await consume(carry.subarray(0, carried), 0);
        if (end >= 0) {
          if (end !== carried) throw new MalformedMessageError('message structure is inconsistent');
          carried = 0;
        }
      }
    }
  };

  return orderedTransform<Uint8Array, Uint8Array>({
    start(output) {
      controller = output;
      work = new OrderedWork<Bytes>(
        STREAM_FRAMES_IN_FLIGHT,
        (plaintext) => {
          if (hold) held.push(plaintext);
          else if (plaintext.byteLength > 0) controller.enqueue(plaintext);
        },
        (error) => controller.error(error),
      );
    },

    async transform(chunk) {
      try {
        let bytes: Bytes | undefined = streamChunkBytes(chunk, 'message');
        if (state === 'header') {
          bytes = await readHeader(bytes);
          if (bytes === undefined) return;
        }
        await process(bytes);
      } catch (error) {
        // Frames before the fault that verify are still released, in order, then the stream
        // errors (with an earlier frame's failure, if there was one).
        await work.settle();
        throw error;
      }
    },

    async flush() {
      if (state !== 'done') {
        await work.settle();
        const where = state === 'header' ? 'header' : state === 'footer' ? 'footer' : 'body';
        throw new MalformedMessageError(`message ends inside its ${where}`);
      }
      await work.drain();
      for (const plaintext of held.splice(0)) {
        if (plaintext.byteLength > 0) controller.enqueue(plaintext);
      }
    },
  });
}
