/**
 * One-shot encryption of bytes or text into a complete message (spec: client-apis/encrypt.md):
 * materials from the keyring, a random message id, per-message keys by HKDF, the header with its
 * commit key and tag, the framed body, and for signed suites the footer.
 */
import type { Bytes } from './bytes';
import { InvalidArgumentError } from './errors';
import { MAX_SEQUENCE_NUMBER, type MessageHeader, frameSize, serializeFooter } from './format';
import { type PlaintextInput, plaintextBytes } from './input';
import type { Keyring } from './keyring';
import type { EncryptionContext } from './materials';
import { type MaterialsManager, materialsManagerFor } from './materials-manager';
import { signMessage } from './crypto/ecdsa-p384';
import { encryptFrame, prepareEncryption, resolveEncryptionParameters, sealHeaderTag } from './message';
import { forEachLimited } from './parallel';
import type { SuiteId } from './suites';

/**
 * Plaintext bytes per frame written by `encrypt` unless told otherwise: 64 KiB, chosen from
 * `npm run bench -- sdk` and `-- browser` (the "frame length" tables, issue 15). The spec's
 * 4096 costs a WebCrypto call (a round trip to another thread) per 4 KiB: a 1 MiB message
 * encrypted 2-4x slower at 4 KiB than at 64 KiB in Chromium, Node and workerd alike. 256 KiB was
 * no faster for 1 MiB in Chromium, and turns every message under 256 KiB into one frame, whose
 * WebCrypto call cannot overlap any other. Any frame length interoperates: the official SDKs
 * read any, and decryptStream accepts up to 1 MiB by default.
 */
export const DEFAULT_FRAME_LENGTH = 64 * 1024;
/** Frames encrypted concurrently by the buffer API. */
const FRAMES_IN_FLIGHT = 8;

export interface EncryptOptions {
  /** Authenticated, non-secret strings bound to the message; keys starting "aws-crypto-" are reserved. */
  readonly encryptionContext?: EncryptionContext;
  /** 0x0478 (default) or 0x0578 (adds an ECDSA P-384 signature). */
  readonly suite?: SuiteId;
  /** Plaintext bytes per frame, 1 to 2^32 - 1. */
  readonly frameLength?: number;
  /** Refuse to write a message with more encrypted data keys than this (no limit by default). */
  readonly maxEncryptedDataKeys?: number;
}

export interface EncryptResult {
  /** ArrayBuffer-backed, so it can go straight to fetch, Blob or WebCrypto. */
  readonly ciphertext: Uint8Array<ArrayBuffer>;
  readonly header: MessageHeader;
}

export async function encrypt(
  keyring: Keyring | MaterialsManager,
  data: PlaintextInput,
  options: EncryptOptions = {},
): Promise<EncryptResult> {
  const manager = materialsManagerFor(keyring);
  const { suite, frameLength } = resolveEncryptionParameters(options, DEFAULT_FRAME_LENGTH);
  const plaintext = await plaintextBytes(data);

  // Every frame but the last is full; the last holds the rest (a full frame when the length is an
  // exact multiple, as the spec prefers, and an empty one only for empty plaintext).
  const frameCount = Math.max(1, Math.ceil(plaintext.byteLength / frameLength));
  if (frameCount > MAX_SEQUENCE_NUMBER) throw new InvalidArgumentError('plaintext needs more than 2^32 - 1 frames');

  const prepared = await prepareEncryption(manager, options, suite, frameLength, plaintext.byteLength);
  const headerLength = prepared.header.headerLength;
  const lastLength = plaintext.byteLength - (frameCount - 1) * frameLength;
  const bodyLength = (frameCount - 1) * frameSize(suite, false, frameLength) + frameSize(suite, true, lastLength);
  const message = new Uint8Array(headerLength + bodyLength);

  // The header tag and the frames only need the message key, so they run at once (WebCrypto
  // calls overlap); nothing is returned unless all of them succeed.
  const regularSize = frameSize(suite, false, frameLength);
  message.set(prepared.headerBody, 0);
  const header = sealHeaderTag(prepared).then((tag) => message.set(tag, prepared.headerBody.byteLength));
  const frames = forEachLimited(frameCount, FRAMES_IN_FLIGHT, async (index) => {
    const final = index === frameCount - 1;
    const start = index * frameLength;
    const chunk: Bytes = plaintext.subarray(start, final ? plaintext.byteLength : start + frameLength);
    const { prefix, sealed } = await encryptFrame(prepared, final, index + 1, chunk);
    const offset = headerLength + index * regularSize;
    message.set(prefix, offset);
    message.set(sealed, offset + prefix.byteLength);
  });
  await Promise.all([header, frames]);

  let ciphertext: Bytes = message;
  if (suite.signed) {
    // The whole message is in hand: one native signature over it (crypto/ecdsa-p384.ts).
    const footer = serializeFooter(await signMessage(prepared.signingKey!, message));
    ciphertext = new Uint8Array(message.byteLength + footer.byteLength);
    ciphertext.set(message, 0);
    ciphertext.set(footer, message.byteLength);
  }
  return { ciphertext, header: prepared.header };
}
