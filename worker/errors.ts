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

/**
 * The one list of error names: each AWS KMS error the service answers with,
 * and its HTTP status on the native protocol (the AWS protocol answers 400
 * for every client error, as AWS KMS does). The classes and the table that
 * revives errors crossing a Durable Object boundary are both made from it,
 * so a name cannot be missing from one of them.
 */
const ERROR_STATUS = {
  ValidationException: 400,
  SerializationException: 400,
  UnknownOperationException: 404,
  UnauthenticatedException: 401,
  InvalidTokenException: 401,
  ExpiredTokenException: 401,
  MissingAuthenticationTokenException: 403,
  IncompleteSignature: 400,
  InvalidSignatureException: 400,
  UnrecognizedClientException: 400,
  AccessDeniedException: 403,
  NotFoundException: 404,
  AlreadyExistsException: 409,
  DisabledException: 409,
  KMSInvalidStateException: 409,
  InvalidCiphertextException: 400,
  IncorrectKeyException: 400,
  InvalidKeyUsageException: 400,
  UnsupportedOperationException: 400,
  KMSInvalidSignatureException: 400,
  KMSInvalidMacException: 400,
  InvalidAliasNameException: 400,
  InvalidMarkerException: 400,
  MalformedPolicyDocumentException: 400,
  TagException: 400,
  /** DryRun: the caller may make the request, which was not carried out. */
  DryRunOperationException: 400,
  /** AWS's answer to an alias name under the reserved `alias/aws/` prefix (not in the model's error list). */
  NotAuthorizedException: 400,
  /** A resource quota (grants per key, on-demand rotations per key) is used up. */
  LimitExceededException: 400,
  /** Imported key material (key-object/imports.ts): the import token is past its 24 hours, or not one of this key's open tokens. */
  ExpiredImportTokenException: 400,
  InvalidImportTokenException: 400,
  /** The imported material is not the key's (a re-import of other material), or not material of the key's spec. */
  IncorrectKeyMaterialException: 400,
  ThrottlingException: 429,
  KMSInternalException: 500,
  /** External key stores (worker/xks/): the store, and what its proxy answered (xks/failures.ts). */
  CustomKeyStoreNotFoundException: 404,
  CustomKeyStoreNameInUseException: 409,
  CustomKeyStoreInvalidStateException: 409,
  CustomKeyStoreHasCMKsException: 409,
  XksProxyUriInUseException: 409,
  XksProxyUriUnreachableException: 400,
  XksProxyIncorrectAuthenticationCredentialException: 400,
  XksProxyInvalidResponseException: 400,
  XksProxyInvalidConfigurationException: 400,
  XksKeyNotFoundException: 400,
  XksKeyInvalidConfigurationException: 400,
  XksKeyAlreadyInUseException: 409,
} as const;

export type KmsErrorName = keyof typeof ERROR_STATUS;

/**
 * AWS KMS answers these with an empty message: saying why a ciphertext, a
 * signature or a MAC is not valid would help whoever forges one.
 */
export const WITHOUT_MESSAGE: ReadonlySet<KmsErrorName> = new Set(['InvalidCiphertextException', 'KMSInvalidSignatureException', 'KMSInvalidMacException', 'NotAuthorizedException']);

/** An error class of one name from the table. */
export type KmsErrorClass<N extends KmsErrorName = KmsErrorName> = new (message: string) => KmsError & { readonly name: N };

function errorClass<N extends KmsErrorName>(name: N): KmsErrorClass<N> {
  const status = ERROR_STATUS[name];
  const silent = WITHOUT_MESSAGE.has(name);
  const cls = class extends KmsError {
    static override readonly status: number = status;
    override readonly name: N = name;
    constructor(message: string) {
      super(silent ? '' : message);
    }
  };
  Object.defineProperty(cls, 'name', { value: name });
  return cls;
}

/** Throttling carries how long to wait, which both protocols send as Retry-After. */
export class ThrottlingException extends errorClass('ThrottlingException') {
  constructor(
    message: string,
    /** Sent as the Retry-After header. */
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
  }
}

const classes = {
  ...(Object.fromEntries(Object.keys(ERROR_STATUS).map((name) => [name, errorClass(name as KmsErrorName)])) as {
    [N in KmsErrorName]: KmsErrorClass<N>;
  }),
  ThrottlingException,
};

export const {
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
  DryRunOperationException,
  NotAuthorizedException,
  LimitExceededException,
  ExpiredImportTokenException,
  InvalidImportTokenException,
  IncorrectKeyMaterialException,
  KMSInternalException,
  CustomKeyStoreNotFoundException,
  CustomKeyStoreNameInUseException,
  CustomKeyStoreInvalidStateException,
  CustomKeyStoreHasCMKsException,
  XksProxyUriInUseException,
  XksProxyUriUnreachableException,
  XksProxyIncorrectAuthenticationCredentialException,
  XksProxyInvalidResponseException,
  XksProxyInvalidConfigurationException,
  XksKeyNotFoundException,
  XksKeyInvalidConfigurationException,
  XksKeyAlreadyInUseException,
} = classes;

const byName = new Map<string, new (message: string) => KmsError>(Object.entries(classes));

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
