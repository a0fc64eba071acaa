/**
 * Every refusal the service makes is one of these classes. The class name is
 * the AWS KMS error name and travels on the wire as `__type`, so clients can
 * branch on it; `status` is the HTTP status of the native protocol.
 */
export class KmsError extends Error {
  static readonly status: number = 400;
  override readonly name: string = 'KmsError';

  get status(): number {
    return (this.constructor as typeof KmsError).status;
  }

  toJSON(): { __type: string; message: string } {
    return { __type: this.name, message: this.message };
  }
}

export class ValidationException extends KmsError {
  override readonly name = 'ValidationException';
}
export class SerializationException extends KmsError {
  override readonly name = 'SerializationException';
}
export class UnknownOperationException extends KmsError {
  override readonly name = 'UnknownOperationException';
  static override readonly status = 404;
}
export class UnauthenticatedException extends KmsError {
  override readonly name = 'UnauthenticatedException';
  static override readonly status = 401;
}
export class InvalidTokenException extends KmsError {
  override readonly name = 'InvalidTokenException';
  static override readonly status = 401;
}
export class ExpiredTokenException extends KmsError {
  override readonly name = 'ExpiredTokenException';
  static override readonly status = 401;
}
export class MissingAuthenticationTokenException extends KmsError {
  override readonly name = 'MissingAuthenticationTokenException';
  static override readonly status = 403;
}
export class IncompleteSignature extends KmsError {
  override readonly name = 'IncompleteSignature';
}
export class InvalidSignatureException extends KmsError {
  override readonly name = 'InvalidSignatureException';
}
export class UnrecognizedClientException extends KmsError {
  override readonly name = 'UnrecognizedClientException';
}
export class AccessDeniedException extends KmsError {
  override readonly name = 'AccessDeniedException';
  static override readonly status = 403;
}
export class NotFoundException extends KmsError {
  override readonly name = 'NotFoundException';
  static override readonly status = 404;
}
export class AlreadyExistsException extends KmsError {
  override readonly name = 'AlreadyExistsException';
  static override readonly status = 409;
}
export class DisabledException extends KmsError {
  override readonly name = 'DisabledException';
  static override readonly status = 409;
}
export class KMSInvalidStateException extends KmsError {
  override readonly name = 'KMSInvalidStateException';
  static override readonly status = 409;
}
export class InvalidCiphertextException extends KmsError {
  override readonly name = 'InvalidCiphertextException';
}
export class IncorrectKeyException extends KmsError {
  override readonly name = 'IncorrectKeyException';
}
export class InvalidKeyUsageException extends KmsError {
  override readonly name = 'InvalidKeyUsageException';
}
export class UnsupportedOperationException extends KmsError {
  override readonly name = 'UnsupportedOperationException';
}
export class KMSInvalidSignatureException extends KmsError {
  override readonly name = 'KMSInvalidSignatureException';
}
export class KMSInvalidMacException extends KmsError {
  override readonly name = 'KMSInvalidMacException';
}
export class InvalidAliasNameException extends KmsError {
  override readonly name = 'InvalidAliasNameException';
}
export class InvalidMarkerException extends KmsError {
  override readonly name = 'InvalidMarkerException';
}
export class MalformedPolicyDocumentException extends KmsError {
  override readonly name = 'MalformedPolicyDocumentException';
}
export class TagException extends KmsError {
  override readonly name = 'TagException';
}
/** A resource quota (grants per key, on-demand rotations per key) is used up; AWS KMS answers 400. */
export class LimitExceededException extends KmsError {
  override readonly name = 'LimitExceededException';
}
export class ThrottlingException extends KmsError {
  override readonly name = 'ThrottlingException';
  static override readonly status = 429;

  constructor(
    message: string,
    /** Sent as the Retry-After header. */
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
  }
}
export class KMSInternalException extends KmsError {
  override readonly name = 'KMSInternalException';
  static override readonly status = 500;
}

const ERROR_CLASSES = [
  ValidationException,
  SerializationException,
  UnknownOperationException,
  UnauthenticatedException,
  InvalidTokenException,
  ExpiredTokenException,
  MissingAuthenticationTokenException,
  IncompleteSignature,
  InvalidSignatureException,
  UnrecognizedClientException,
  AccessDeniedException,
  NotFoundException,
  AlreadyExistsException,
  DisabledException,
  KMSInvalidStateException,
  InvalidCiphertextException,
  IncorrectKeyException,
  InvalidKeyUsageException,
  UnsupportedOperationException,
  KMSInvalidSignatureException,
  KMSInvalidMacException,
  InvalidAliasNameException,
  InvalidMarkerException,
  MalformedPolicyDocumentException,
  TagException,
  LimitExceededException,
  ThrottlingException,
  KMSInternalException,
];

const byName = new Map<string, new (message: string) => KmsError>(
  ERROR_CLASSES.map((cls) => [new cls('').name, cls]),
);

/** A plain `{ name, message }` that crossed a Durable Object RPC boundary. */
export interface SerializedError {
  name: string;
  message: string;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof KmsError) return { name: error.name, message: error.message };
  // Anything else is a bug or a runtime fault; its message may carry internals.
  console.error('unexpected error', error instanceof Error ? error.stack : String(error));
  return { name: 'KMSInternalException', message: 'An internal error occurred.' };
}

export function reviveError(serialized: SerializedError): KmsError {
  const cls = byName.get(serialized.name) ?? KMSInternalException;
  return new cls(serialized.message);
}
