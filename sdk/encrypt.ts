/**
 * One-shot encryption of bytes or text into a complete message (spec: client-apis/encrypt.md):
 * materials from the keyring, a random message id, per-message keys by HKDF, the header with its
 * commit key and tag, the framed body, and for signed suites the footer.
 */
import { type Bytes, randomBytes } from './bytes';
import { MessageSigner } from './crypto/ecdsa-p384';
import { deriveMessageKeys } from './crypto/key-derivation';
import { aesGcmSeal } from './crypto/aes-gcm';
import { InvalidArgumentError, KeyringError, TooManyEncryptedDataKeysError } from './errors';
import {
  HEADER_IV,
  MAX_SEQUENCE_NUMBER,
  MESSAGE_ID_LENGTH,
  type MessageHeader,
  assertFrameLength,
  assertMaxEncryptedDataKeys,
  frameSize,
  parseHeader,
  serializeFooter,
  serializeHeaderBody,
  writeFrameHeader,
} from './format';
import { sealFrame } from './frames';
import { type PlaintextInput, plaintextBytes } from './input';
import type { Keyring } from './keyring';
import type { EncryptionContext } from './materials';
import { type MaterialsManager, materialsManagerFor } from './materials-manager';
import { forEachLimited } from './parallel';
import { DEFAULT_SUITE_ID, type SuiteId, findSuite } from './suites';

/** The spec's default (client-apis/encrypt.md). */
export const DEFAULT_FRAME_LENGTH = 4096;
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
  const suite = findSuite(options.suite ?? DEFAULT_SUITE_ID);
  if (suite === undefined) throw new InvalidArgumentError(`unsupported algorithm suite ${String(options.suite)}`);
  const frameLength = options.frameLength ?? DEFAULT_FRAME_LENGTH;
  assertFrameLength(frameLength);
  assertMaxEncryptedDataKeys(options.maxEncryptedDataKeys);
  const plaintext = await plaintextBytes(data);

  // Every frame but the last is full; the last holds the rest (a full frame when the length is an
  // exact multiple, as the spec prefers, and an empty one only for empty plaintext).
  const frameCount = Math.max(1, Math.ceil(plaintext.byteLength / frameLength));
  if (frameCount > MAX_SEQUENCE_NUMBER) throw new InvalidArgumentError('plaintext needs more than 2^32 - 1 frames');

  const materials = await manager.getEncryptionMaterials({
    suite,
    encryptionContext: options.encryptionContext ?? {},
    plaintextLength: plaintext.byteLength,
  });
  const limit = options.maxEncryptedDataKeys;
  if (limit !== undefined && materials.encryptedDataKeys.length > limit) {
    throw new TooManyEncryptedDataKeysError(`${materials.encryptedDataKeys.length} encrypted data keys exceed the limit of ${limit}`);
  }
  if (suite.signed && materials.signingKey === undefined) throw new KeyringError('signed suite without a signing key');

  const messageId = randomBytes(MESSAGE_ID_LENGTH);
  const { encryptionKey, commitKey } = await deriveMessageKeys(suite, materials.plaintextDataKey!, messageId);
  const headerBody = serializeHeaderBody({
    suite,
    messageId,
    encryptionContext: materials.encryptionContext,
    encryptedDataKeys: materials.encryptedDataKeys,
    frameLength,
    commitKey,
  });
  // The header tag is GCM over an empty plaintext with the header body as AAD: only the tag.
  const headerTag = await aesGcmSeal(encryptionKey, HEADER_IV, headerBody, new Uint8Array(0));

  const lastLength = plaintext.byteLength - (frameCount - 1) * frameLength;
  const headerLength = headerBody.byteLength + headerTag.byteLength;
  const bodyLength = (frameCount - 1) * frameSize(suite, false, frameLength) + frameSize(suite, true, lastLength);
  const message = new Uint8Array(headerLength + bodyLength);
  message.set(headerBody, 0);
  message.set(headerTag, headerBody.byteLength);

  const regularSize = frameSize(suite, false, frameLength);
  await forEachLimited(frameCount, FRAMES_IN_FLIGHT, async (index) => {
    const final = index === frameCount - 1;
    const start = index * frameLength;
    const chunk: Bytes = plaintext.subarray(start, final ? plaintext.byteLength : start + frameLength);
    const sealed = await sealFrame(encryptionKey, messageId, final, index + 1, chunk);
    const offset = writeFrameHeader(message, headerLength + index * regularSize, final, index + 1, chunk.byteLength);
    message.set(sealed, offset);
  });

  let ciphertext: Bytes = message;
  if (suite.signed) {
    const signature = new MessageSigner(materials.signingKey!).update(message).sign();
    const footer = serializeFooter(signature);
    ciphertext = new Uint8Array(message.byteLength + footer.byteLength);
    ciphertext.set(message, 0);
    ciphertext.set(footer, message.byteLength);
  }

  // Reading the header back gives callers exactly the view a decryptor will have of it.
  const header = parseHeader(message.subarray(0, headerLength))!.header;
  return { ciphertext, header };
}
