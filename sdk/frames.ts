/**
 * Frame cryptography (spec: client-apis/encrypt.md "Construct a frame", decrypt.md "Decrypt the
 * message body"): each frame is AES-GCM under the message key, with the IV derived from its
 * sequence number and AAD binding message id, frame kind, sequence number and plaintext length,
 * so frames cannot be reordered, dropped, moved between messages or turned into a final frame.
 * Shared by the buffer APIs (message.ts) and the stream transforms.
 */
import type { Bytes } from './bytes';
import { type AesGcmKey, aesGcmOpen, aesGcmSeal } from './crypto/aes-gcm';
import { type ParsedFrame, frameAad, frameIv } from './format';

/** Encrypts one frame's plaintext; returns ciphertext followed by the tag. */
export function sealFrame(
  key: AesGcmKey,
  messageId: Uint8Array,
  final: boolean,
  sequenceNumber: number,
  plaintext: Bytes,
): Promise<Bytes> {
  return aesGcmSeal(key, frameIv(sequenceNumber), frameAad(messageId, final, sequenceNumber, plaintext.byteLength), plaintext);
}

/** Decrypts and authenticates one parsed frame; throws AuthenticationError if its tag fails. */
export function openFrame(key: AesGcmKey, messageId: Uint8Array, frame: ParsedFrame): Promise<Bytes> {
  const aad = frameAad(messageId, frame.final, frame.sequenceNumber, frame.contentLength);
  return aesGcmOpen(key, frame.iv, aad, frame.sealed, `frame ${frame.sequenceNumber}`);
}
