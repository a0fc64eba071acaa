/**
 * The parts of encrypting and decrypting a message that do not depend on how its bytes arrive:
 * the header and the per-message keys before the body, and one frame at a time after it. The
 * buffer API (encrypt.ts, decrypt.ts) and the stream transforms (stream-*.ts) are both built on
 * these, so there is one implementation of the wire format and of every check.
 */
import { type Bytes, EMPTY_BYTES, randomBytes, timingSafeEqual } from './bytes';
import { type AesGcmKey, aesGcmOpen, aesGcmSeal } from './crypto/aes-gcm';
import { P256MessageVerifier } from './crypto/ecdsa-p256';
import { MessageVerifier } from './crypto/ecdsa-p384';
import { StreamSigner, StreamVerifier } from './crypto/stream-signature';
import { deriveMessageKeys, materialsDataKey } from './crypto/key-derivation';
import { CommitmentMismatchError, InvalidArgumentError, KeyringError, TooManyEncryptedDataKeysError } from './errors';
import {
  HEADER_IV,
  MESSAGE_ID_LENGTH,
  type MessageHeader,
  type ParsedFrame,
  type ParsedHeader,
  assertFrameLength,
  assertMaxEncryptedDataKeys,
  headerFromFields,
  serializeHeaderBody,
  writeFrameHeader,
} from './format';
import { openFrame, sealFrame } from './frames';
import type { EncryptionContext } from './materials';
import type { MaterialsManager } from './materials-manager';
import { headerAuthAad, storedContext } from './required-context';
import { type AlgorithmSuite, DEFAULT_SUITE_ID, type SuiteId, findSuite } from './suites';

export interface EncryptionParameters {
  readonly encryptionContext?: EncryptionContext;
  readonly suite?: SuiteId;
  readonly frameLength?: number;
  readonly maxEncryptedDataKeys?: number;
}

/** Checks the options and resolves the suite and frame length, before any keyring call. */
export function resolveEncryptionParameters(
  options: EncryptionParameters,
  defaultFrameLength: number,
): { suite: AlgorithmSuite; frameLength: number } {
  const suite = findSuite(options.suite ?? DEFAULT_SUITE_ID);
  // Message format 1 is read, never written.
  if (suite === undefined || suite.messageFormatVersion !== 2) throw new InvalidArgumentError(`unsupported algorithm suite ${String(options.suite)}`);
  const frameLength = options.frameLength ?? defaultFrameLength;
  assertFrameLength(frameLength);
  assertMaxEncryptedDataKeys(options.maxEncryptedDataKeys);
  return { suite, frameLength };
}

/** A message being written: its keys, its serialized header, and the signer for signed suites. */
export interface EncryptionSession {
  readonly suite: AlgorithmSuite;
  readonly frameLength: number;
  readonly messageId: Bytes;
  readonly encryptionKey: AesGcmKey;
  /** Header body and header tag: the first bytes of the message. */
  readonly headerBytes: Bytes;
  readonly header: MessageHeader;
  /** Signed suites: the signing key (P-384 scalar). */
  readonly signingKey: Uint8Array | undefined;
  /** Present for signed suites; has already seen the header. */
  readonly signer: StreamSigner | undefined;
}

/** An EncryptionSession before its header tag: enough to encrypt frames already. */
export interface PreparedEncryption {
  readonly suite: AlgorithmSuite;
  readonly frameLength: number;
  readonly messageId: Bytes;
  readonly encryptionKey: AesGcmKey;
  readonly headerBody: Bytes;
  /** What the header tag authenticates: the body, and any required context entries. */
  readonly headerAad: Bytes;
  readonly header: MessageHeader;
  readonly signingKey: Uint8Array | undefined;
}

/** Materials from the manager, a fresh message id, the message keys and the header body. */
export async function prepareEncryption(
  manager: MaterialsManager,
  options: EncryptionParameters,
  suite: AlgorithmSuite,
  frameLength: number,
  plaintextLength: number | undefined,
): Promise<PreparedEncryption> {
  const materials = await manager.getEncryptionMaterials({
    suite,
    encryptionContext: options.encryptionContext ?? {},
    ...(plaintextLength === undefined ? {} : { plaintextLength }),
  });
  const limit = options.maxEncryptedDataKeys;
  if (limit !== undefined && materials.encryptedDataKeys.length > limit) {
    throw new TooManyEncryptedDataKeysError(`${materials.encryptedDataKeys.length} encrypted data keys exceed the limit of ${limit}`);
  }
  if (suite.signed && materials.signingKey === undefined) throw new KeyringError('signed suite without a signing key');

  const messageId = randomBytes(MESSAGE_ID_LENGTH);
  const { encryptionKey, commitKey } = await deriveMessageKeys(suite, materialsDataKey(materials), messageId);
  const fields = {
    suite,
    messageId,
    encryptionContext: storedContext(materials.encryptionContext, materials.requiredContextKeys),
    encryptedDataKeys: materials.encryptedDataKeys,
    frameLength,
    commitKey,
  };
  const headerBody = serializeHeaderBody(fields);
  // Callers get exactly the view a decryptor will have of the header, without parsing it back.
  const header = headerFromFields(fields, headerBody.byteLength + suite.tagLength);
  // The header tag's AAD: the header body and any required context entries, which the header
  // leaves out.
  const headerAad = headerAuthAad(headerBody, materials.encryptionContext, materials.requiredContextKeys);
  return { suite, frameLength, messageId, encryptionKey, headerBody, headerAad, header, signingKey: materials.signingKey };
}

/**
 * The header tag (GCM over an empty plaintext with the header AAD: only the tag), which
 * completes the session. `incrementalSigner`: streams sign as the bytes go by; the buffer API
 * signs the whole message at the end (signMessage).
 */
export async function sealHeader(prepared: PreparedEncryption, incrementalSigner: boolean): Promise<EncryptionSession> {
  const { headerBody, suite, signingKey } = prepared;
  const headerTag = await sealHeaderTag(prepared);
  const headerBytes = new Uint8Array(headerBody.byteLength + headerTag.byteLength);
  headerBytes.set(headerBody, 0);
  headerBytes.set(headerTag, headerBody.byteLength);
  const signer = suite.signed && incrementalSigner ? new StreamSigner(signingKey!).update(headerBytes) : undefined;
  return { ...prepared, headerBytes, signer };
}

/** The header tag alone, for a caller that writes the header body and the tag in place itself. */
export function sealHeaderTag(prepared: PreparedEncryption): Promise<Bytes> {
  return aesGcmSeal(prepared.encryptionKey, HEADER_IV, prepared.headerAad, EMPTY_BYTES);
}

/** prepareEncryption then sealHeader: the session a stream needs before its first frame. */
export async function beginEncryption(
  manager: MaterialsManager,
  options: EncryptionParameters,
  suite: AlgorithmSuite,
  frameLength: number,
  plaintextLength: number | undefined,
): Promise<EncryptionSession> {
  return sealHeader(await prepareEncryption(manager, options, suite, frameLength, plaintextLength), true);
}

/** One encrypted frame as two parts, so no large buffer is copied to join them. */
export interface SealedFrame {
  /** Sequence number and IV, and for the final frame its marker and content length. */
  readonly prefix: Bytes;
  /** Ciphertext followed by the tag. */
  readonly sealed: Bytes;
}

export async function encryptFrame(
  session: Pick<EncryptionSession, 'encryptionKey' | 'messageId'>,
  final: boolean,
  sequenceNumber: number,
  plaintext: Bytes,
): Promise<SealedFrame> {
  const sealed = await sealFrame(session.encryptionKey, session.messageId, final, sequenceNumber, plaintext);
  const prefix = new Uint8Array(final ? 24 : 16);
  writeFrameHeader(prefix, 0, final, sequenceNumber, plaintext.byteLength);
  return { prefix, sealed };
}

/** A message being read, once its header has been authenticated. */
export interface DecryptionSession {
  readonly encryptionKey: AesGcmKey;
  /** Signed suites: the verification key (compressed P-384 point). */
  readonly verificationKey: Uint8Array | undefined;
  /** Present for signed suites; the caller feeds it the message's bytes up to the footer. */
  readonly verifier: SignatureCheck | undefined;
  /** The context the message was decrypted under: the stored entries and any reproduced ones it authenticated. */
  readonly encryptionContext: EncryptionContext;
  /** What the header tag authenticates: the header body, and any required context entries. */
  readonly headerAad: Bytes;
}

/**
 * Asks the manager for the data key, then checks it against the header's key commitment
 * (constant time). The caller has already checked the structure it could and the expected
 * context, so a message that is refused for those costs no unwrap. The header tag is not checked
 * yet: see verifyHeaderTag (beginDecryption does both).
 */
export async function openDecryption(
  manager: MaterialsManager,
  parsed: ParsedHeader,
  incrementalVerifier: boolean,
  reproducedContext?: EncryptionContext,
): Promise<DecryptionSession> {
  const { header, suite } = parsed;
  const materials = await manager.decryptMaterials({
    suite,
    encryptionContext: header.encryptionContext,
    encryptedDataKeys: header.encryptedDataKeys,
    ...(reproducedContext === undefined ? {} : { reproducedContext }),
  });
  const { encryptionKey, commitKey } = await deriveMessageKeys(suite, materialsDataKey(materials), header.messageId);
  // Format 1 suites (read only, when the caller's commitment policy allows) commit to nothing.
  if (suite.commitKeyLength > 0 && !timingSafeEqual(commitKey, header.suiteData)) {
    throw new CommitmentMismatchError('the data key does not match the key commitment in the header');
  }
  const verificationKey = suite.signed ? materials.verificationKey : undefined;
  const verifier = suite.signed && incrementalVerifier ? streamVerifier(suite, materials.verificationKey!) : undefined;
  const headerAad = headerAuthAad(parsed.body, materials.encryptionContext, materials.requiredContextKeys);
  return { encryptionKey, verificationKey, verifier, encryptionContext: materials.encryptionContext, headerAad };
}

/** Checks the header tag (resolves with the empty plaintext it covers); AuthenticationError if it fails. */
export function verifyHeaderTag(session: DecryptionSession, parsed: ParsedHeader): Promise<Bytes> {
  return aesGcmOpen(session.encryptionKey, parsed.authIv, session.headerAad, parsed.authTag, 'header');
}

/** openDecryption then verifyHeaderTag: what a stream needs before its first frame. */
export async function beginDecryption(
  manager: MaterialsManager,
  parsed: ParsedHeader,
  reproducedContext?: EncryptionContext,
): Promise<DecryptionSession> {
  const session = await openDecryption(manager, parsed, true, reproducedContext);
  await verifyHeaderTag(session, parsed);
  return session;
}

/** What a stream feeds the bytes a signature covers, and asks at the footer. */
export interface SignatureCheck {
  update(bytes: Uint8Array): unknown;
  verify(signature: Uint8Array): Promise<boolean>;
}

/**
 * A stream's verifier: P-384 natively for small messages (stream-signature.ts); the format 1
 * P-256 suite, read only, always incrementally.
 */
function streamVerifier(suite: AlgorithmSuite, verificationKey: Uint8Array): SignatureCheck {
  if (suite.curve !== 'P-256') return new StreamVerifier(verificationKey);
  const verifier = new P256MessageVerifier(verificationKey);
  return { update: (bytes) => verifier.update(bytes), verify: async (signature) => verifier.verify(signature) };
}

/** The signature verifier of a signed suite's curve. */
export function messageVerifier(suite: AlgorithmSuite, verificationKey: Uint8Array): MessageVerifier | P256MessageVerifier {
  return suite.curve === 'P-256' ? new P256MessageVerifier(verificationKey) : new MessageVerifier(verificationKey);
}

/** Decrypts and authenticates one parsed frame; AuthenticationError if its tag fails. */
export function decryptFrame(session: DecryptionSession, header: MessageHeader, frame: ParsedFrame): Promise<Bytes> {
  return openFrame(session.encryptionKey, header.messageId, frame);
}
