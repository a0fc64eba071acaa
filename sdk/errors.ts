/**
 * Every error the SDK throws on purpose is an `EdgeKmsError`, so callers can tell "this message or
 * this call was rejected" from a bug. Each class sets `name` to a string literal rather than
 * relying on the constructor's name: bundlers minify class names, and `err.name` is what callers
 * (and logs) match on, so it must survive a production build unchanged.
 */
export class EdgeKmsError extends Error {
  override name: string = 'EdgeKmsError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The bytes are not a well-formed message: bad field, bad length, truncated, or trailing data. */
export class MalformedMessageError extends EdgeKmsError {
  override name = 'MalformedMessageError';
}

/** Well-formed, but a version, algorithm suite or content type this SDK does not decrypt. */
export class UnsupportedFormatError extends EdgeKmsError {
  override name = 'UnsupportedFormatError';
}

/**
 * An authentication tag (header or frame) or the message signature did not verify: the message
 * was modified, or was not written under this data key. Nothing of it is released.
 */
export class AuthenticationError extends EdgeKmsError {
  override name = 'AuthenticationError';
}

/**
 * The data key a keyring returned does not match the key commitment in the header. Either the
 * message was crafted to decrypt differently under different keys, or an encrypted data key was
 * swapped; in both cases the message must not be decrypted.
 */
export class CommitmentMismatchError extends EdgeKmsError {
  override name = 'CommitmentMismatchError';
}

/** The message's encryption context lacks, or differs on, an entry the caller required. */
export class ContextMismatchError extends EdgeKmsError {
  override name = 'ContextMismatchError';
}

/**
 * No keyring could unwrap any of the message's encrypted data keys. `causes` keeps what each
 * attempt reported, so a caller can tell "no key of mine" from "the service refused".
 */
export class NoDecryptableKeyError extends EdgeKmsError {
  override name = 'NoDecryptableKeyError';
  readonly causes: readonly unknown[];

  constructor(message: string, causes: readonly unknown[] = []) {
    super(message, causes.length > 0 ? { cause: causes[0] } : undefined);
    this.causes = causes;
  }
}

/**
 * A message carries more encrypted data keys than the caller allows. The limit exists so that a
 * hostile message cannot make a decrypting client attempt thousands of (remote) unwraps.
 */
export class TooManyEncryptedDataKeysError extends EdgeKmsError {
  override name = 'TooManyEncryptedDataKeysError';
}

/** An argument or option is out of range or of the wrong kind. */
export class InvalidArgumentError extends EdgeKmsError {
  override name = 'InvalidArgumentError';
}

/** A keyring or materials manager broke its contract (no data key, wrong key length, no EDK). */
export class KeyringError extends EdgeKmsError {
  override name = 'KeyringError';
}

/**
 * A message's frame length is larger than the reader allows (decryptStream's `maxFrameLength`).
 * Refused as soon as the header is read, before any frame is buffered, so a hostile header
 * cannot make a streaming reader allocate gigabytes.
 */
export class FrameLengthLimitError extends EdgeKmsError {
  override name = 'FrameLengthLimitError';
}

/**
 * An audit receipt did not verify against its inclusion proof and the service's published
 * signing key (verifyReceipt): a record was edited, removed, reordered or is not the receipt's,
 * or the head's signature is not the service key's. `reason` says which check failed.
 */
export class ReceiptVerificationError extends EdgeKmsError {
  override name = 'ReceiptVerificationError';
}
