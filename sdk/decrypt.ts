/**
 * One-shot decryption of a complete message (spec: client-apis/decrypt.md). Nothing is returned
 * unless every check passes: the header parses, the caller's expected context matches, the body
 * is a complete sequence of frames ending in a final frame (then the footer, for signed suites)
 * with no byte after it, a keyring unwraps a data key, that key matches the header's key
 * commitment, the header tag verifies, the signature verifies, and every frame tag verifies.
 */
import { type Bytes, EMPTY_BYTES } from './bytes';
import { AuthenticationError, MalformedMessageError } from './errors';
import { checkCommitmentPolicy, resolveCommitmentPolicy } from './commitment-policy';
import { checkExpectedContext } from './expected-context';
import {
  MAX_SEQUENCE_NUMBER,
  assertMaxEncryptedDataKeys,
  type MessageHeader,
  type ParsedFrame,
  type ParsedHeader,
  parseFooter,
  parseFrame,
  parseHeader,
} from './format';
import { type MessageInput, messageBytes } from './input';
import type { Keyring } from './keyring';
import type { EncryptionContext } from './materials';
import { type MaterialsManager, materialsManagerFor } from './materials-manager';
import { verifyMessage } from './crypto/ecdsa-p384';
import { decryptFrame, messageVerifier, openDecryption, verifyHeaderTag } from './message';
import { forEachLimited } from './parallel';
import type { CommitmentPolicy } from './suites';

const FRAMES_IN_FLIGHT = 8;

export interface DecryptOptions {
  /** Entries the message's encryption context must contain, with these values. */
  readonly expectedContext?: EncryptionContext;
  /** Refuse messages with more encrypted data keys than this (no limit by default). */
  readonly maxEncryptedDataKeys?: number;
  /**
   * REQUIRE_ENCRYPT_REQUIRE_DECRYPT (default) reads only committing suites (message format 2);
   * REQUIRE_ENCRYPT_ALLOW_DECRYPT also reads message format 1, which has no key commitment.
   */
  readonly commitmentPolicy?: CommitmentPolicy;
  /**
   * The encryption context supplied again by the reader (the spec's "reproduced encryption
   * context"): entries the message stores must equal it, and entries it does not store (those a
   * RequiredEncryptionContextCMM kept out of the header) are authenticated by the header tag.
   */
  readonly reproducedContext?: EncryptionContext;
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
  const commitmentPolicy = resolveCommitmentPolicy(options.commitmentPolicy);
  const bytes = await messageBytes(message);

  const parsed = parseHeader(bytes, {
    maxEncryptedDataKeys: options.maxEncryptedDataKeys,
    checkSuite: (suite) => checkCommitmentPolicy(suite, commitmentPolicy),
  });
  if (parsed === undefined) throw new MalformedMessageError('message ends inside its header');
  const { header } = parsed;
  // The cheap checks come first, so a message that is for someone else, cut short or padded
  // costs no key unwrap (for a KMS keyring: no request, no audit record).
  checkExpectedContext(header.encryptionContext, options.expectedContext);
  const { frames, plaintextLength, bodyEnd, signature } = parseBody(bytes, parsed);

  const session = await openDecryption(manager, parsed, false, options.reproducedContext);
  // The header tag, the signature and the frames are checked at once (WebCrypto calls overlap);
  // the plaintext is returned only once every one of them has passed.
  const headerCheck = verifyHeaderTag(session, parsed);
  const signed = bytes.subarray(0, bodyEnd);
  const signatureCheck =
    signature === undefined
      ? undefined
      : (parsed.suite.curve === 'P-256'
          ? Promise.resolve(messageVerifier(parsed.suite, session.verificationKey!).update(signed).verify(signature))
          : verifyMessage(session.verificationKey!, signed, signature)
        ).then((verified) => {
          if (!verified) throw new AuthenticationError('message signature did not verify');
        });
  // One frame's plaintext is WebCrypto's own buffer; more are copied into one.
  let plaintext: Bytes = frames.length === 1 ? EMPTY_BYTES : new Uint8Array(plaintextLength);
  const frameChecks = forEachLimited(frames.length, FRAMES_IN_FLIGHT, async (index) => {
    const opened: Bytes = await decryptFrame(session, header, frames[index]!);
    if (frames.length === 1) plaintext = opened;
    else plaintext.set(opened, index * header.frameLength);
  });
  // Failures are reported header first, then signature, then frames; none is left unobserved.
  const outcomes = await Promise.allSettled([headerCheck, signatureCheck, frameChecks]);
  for (const outcome of outcomes) {
    if (outcome.status === 'rejected') {
      plaintext.fill(0);
      throw outcome.reason;
    }
  }
  return { plaintext, encryptionContext: session.encryptionContext, header };
}

interface ParsedBody {
  readonly frames: readonly ParsedFrame[];
  readonly plaintextLength: number;
  readonly bodyEnd: number;
  readonly signature: Bytes | undefined;
}

/**
 * The body's structure: frames numbered 1, 2, … up to exactly one final frame, then the footer
 * for signed suites, then the end of the input. No cryptography here.
 */
function parseBody(bytes: Bytes, parsed: ParsedHeader): ParsedBody {
  const frames: ParsedFrame[] = [];
  let offset = parsed.header.headerLength;
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
  const bodyEnd = offset;
  let signature: Bytes | undefined;
  if (parsed.suite.signed) {
    const footer = parseFooter(bytes, bodyEnd);
    if (footer === undefined) throw new MalformedMessageError('message ends inside its footer');
    signature = footer.signature;
    offset = footer.end;
  }
  if (offset !== bytes.byteLength) throw new MalformedMessageError('unexpected bytes after the end of the message');
  return { frames, plaintextLength, bodyEnd, signature };
}
