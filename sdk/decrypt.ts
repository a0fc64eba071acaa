/**
 * One-shot decryption of a complete message (spec: client-apis/decrypt.md). Nothing is returned
 * unless every check passes: the header parses, the caller's expected context matches, a keyring
 * unwraps a data key, that key matches the header's key commitment, the header tag verifies, the
 * body is a complete sequence of frames ending in a final frame, every frame tag verifies, the
 * signature (signed suites) verifies, and no byte follows the message.
 */
import { type Bytes, timingSafeEqual } from './bytes';
import { MessageVerifier } from './crypto/ecdsa-p384';
import { deriveMessageKeys } from './crypto/key-derivation';
import { aesGcmOpen } from './crypto/aes-gcm';
import { AuthenticationError, CommitmentMismatchError, MalformedMessageError } from './errors';
import { checkExpectedContext } from './expected-context';
import {
  HEADER_IV,
  MAX_SEQUENCE_NUMBER,
  assertMaxEncryptedDataKeys,
  type MessageHeader,
  type ParsedFrame,
  parseFooter,
  parseFrame,
  parseHeader,
} from './format';
import { openFrame } from './frames';
import { type MessageInput, messageBytes } from './input';
import type { Keyring } from './keyring';
import type { EncryptionContext } from './materials';
import { type MaterialsManager, materialsManagerFor } from './materials-manager';
import { forEachLimited } from './parallel';

const FRAMES_IN_FLIGHT = 8;

export interface DecryptOptions {
  /** Entries the message's encryption context must contain, with these values. */
  readonly expectedContext?: EncryptionContext;
  /** Refuse messages with more encrypted data keys than this (no limit by default). */
  readonly maxEncryptedDataKeys?: number;
}

export interface DecryptResult {
  readonly plaintext: Uint8Array<ArrayBuffer>;
  /** The message's full context, including `aws-crypto-public-key` for signed suites. */
  readonly encryptionContext: EncryptionContext;
  readonly header: MessageHeader;
}

export async function decrypt(
  keyring: Keyring | MaterialsManager,
  message: MessageInput,
  options: DecryptOptions = {},
): Promise<DecryptResult> {
  const manager = materialsManagerFor(keyring);
  assertMaxEncryptedDataKeys(options.maxEncryptedDataKeys);
  const bytes = await messageBytes(message);

  const parsed = parseHeader(bytes, { maxEncryptedDataKeys: options.maxEncryptedDataKeys });
  if (parsed === undefined) throw new MalformedMessageError('message ends inside its header');
  const { header, suite } = parsed;
  // Checked before any key is unwrapped, so a message for someone else costs no KMS call.
  checkExpectedContext(header.encryptionContext, options.expectedContext);

  const materials = await manager.decryptMaterials({
    suite,
    encryptionContext: header.encryptionContext,
    encryptedDataKeys: header.encryptedDataKeys,
  });
  const { encryptionKey, commitKey } = await deriveMessageKeys(suite, materials.plaintextDataKey!, header.messageId);
  if (!timingSafeEqual(commitKey, header.suiteData)) {
    throw new CommitmentMismatchError('the data key does not match the key commitment in the header');
  }
  await aesGcmOpen(encryptionKey, HEADER_IV, parsed.body, parsed.authTag, 'header');

  const frames: ParsedFrame[] = [];
  let offset = header.headerLength;
  let plaintextLength = 0;
  for (let sequenceNumber = 1; ; sequenceNumber++) {
    if (sequenceNumber > MAX_SEQUENCE_NUMBER) throw new MalformedMessageError('message has more than 2^32 - 1 frames');
    const frame = parseFrame(bytes, offset, parsed, sequenceNumber);
    if (frame === undefined) throw new MalformedMessageError('message ends inside its body');
    frames.push(frame);
    plaintextLength += frame.contentLength;
    offset = frame.end;
    if (frame.final) break;
  }

  // The whole structure is checked before any (costlier) cryptography on the body.
  const bodyEnd = offset;
  const footer = suite.signed ? parseFooter(bytes, bodyEnd) : undefined;
  if (suite.signed && footer === undefined) throw new MalformedMessageError('message ends inside its footer');
  if ((footer?.end ?? bodyEnd) !== bytes.byteLength) throw new MalformedMessageError('unexpected bytes after the end of the message');
  if (footer !== undefined) {
    const verifier = new MessageVerifier(materials.verificationKey!).update(bytes.subarray(0, bodyEnd));
    if (!verifier.verify(footer.signature)) throw new AuthenticationError('message signature did not verify');
  }

  const plaintext = new Uint8Array(plaintextLength);
  const starts = frames.map((_, index) => index * header.frameLength);
  await forEachLimited(frames.length, FRAMES_IN_FLIGHT, async (index) => {
    const opened: Bytes = await openFrame(encryptionKey, header.messageId, frames[index]!);
    plaintext.set(opened, starts[index]!);
  });
  return { plaintext, encryptionContext: header.encryptionContext, header };
}
