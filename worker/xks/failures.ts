import {
  CustomKeyStoreInvalidStateException,
  KMSInvalidStateException,
  XksKeyInvalidConfigurationException,
  XksKeyNotFoundException,
  XksProxyIncorrectAuthenticationCredentialException,
  XksProxyInvalidConfigurationException,
  XksProxyInvalidResponseException,
  XksProxyUriUnreachableException,
  type KmsError,
} from '../errors';

/**
 * What can go wrong in a call to an external key store proxy, and what AWS KMS
 * answers for each, per the XKS Proxy API specification's table "KMS
 * Considerations" under "Error codes": the same failure is a different
 * exception in CreateCustomKeyStore / UpdateCustomKeyStore, in CreateKey and
 * in the cryptographic operations, always with the same message; and a
 * ConnectionErrorCode when ConnectCustomKeyStore fails. The proxy's own
 * errorMessage is never passed on.
 */
export type ProxyFailure =
  /** The proxy's errorName values. */
  | 'ValidationException'
  | 'InvalidStateException'
  | 'InvalidCiphertextException'
  | 'InvalidKeyUsageException'
  | 'AuthenticationFailedException'
  | 'AccessDeniedException'
  | 'KeyNotFoundException'
  | 'InvalidUriPathException'
  | 'ThrottlingException'
  | 'UnsupportedOperationException'
  | 'DependencyTimeoutException'
  | 'InternalException'
  /** No TCP connection (or it broke before an answer). */
  | 'Unreachable'
  /** No answer within the time allowed (proxy-client.ts). */
  | 'TimedOut'
  /** An answer that is not the API's: no JSON, an unknown errorName, a field missing or out of range. */
  | 'Malformed'
  /** The store is not CONNECTED: no call was made. */
  | 'NotConnected';

export type ConnectionErrorCode =
  | 'INVALID_CREDENTIALS'
  | 'NETWORK_ERRORS'
  | 'INTERNAL_ERROR'
  | 'XKS_PROXY_ACCESS_DENIED'
  | 'XKS_PROXY_NOT_REACHABLE'
  | 'XKS_PROXY_INVALID_RESPONSE'
  | 'XKS_PROXY_INVALID_CONFIGURATION'
  | 'XKS_PROXY_TIMED_OUT';

type ErrorClass = new (message: string) => KmsError;

interface FailureAnswer {
  message: string;
  keyStore: ErrorClass;
  createKey: ErrorClass;
  connection: ConnectionErrorCode;
}

const UNINTERPRETABLE =
  'AWS KMS cannot interpret the response from the external key store proxy. If you see this error repeatedly, report it to your external key store proxy administrator.';
const UNREACHABLE =
  'AWS KMS cannot communicate with the external key store proxy. This might be a transient network issue. If you see this error repeatedly, verify that your external key store proxy is active and is connected to the network, and that its endpoint URI is correct in your external key store.';

const ANSWERS: Record<ProxyFailure, FailureAnswer> = {
  ValidationException: { message: UNINTERPRETABLE, keyStore: XksProxyInvalidResponseException, createKey: CustomKeyStoreInvalidStateException, connection: 'XKS_PROXY_INVALID_RESPONSE' },
  InvalidStateException: {
    message: 'The external key associated with this KMS key in an external key store is not enabled in the external key manager. Enable the external key in the external key manager and retry the request.',
    keyStore: XksProxyInvalidResponseException,
    createKey: XksKeyInvalidConfigurationException,
    connection: 'XKS_PROXY_INVALID_RESPONSE',
  },
  InvalidCiphertextException: {
    message: 'The external key store proxy rejected the request because the specified ciphertext or encryption context is corrupted, missing, or otherwise invalid.',
    keyStore: XksProxyInvalidResponseException,
    createKey: CustomKeyStoreInvalidStateException,
    connection: 'XKS_PROXY_INVALID_RESPONSE',
  },
  InvalidKeyUsageException: {
    message: 'The external key associated with this KMS key in an external key store does not support the requested operation. Enable the operation on the key in your external key manager, and try the request again.',
    keyStore: XksProxyInvalidResponseException,
    createKey: XksKeyInvalidConfigurationException,
    connection: 'XKS_PROXY_INVALID_RESPONSE',
  },
  AuthenticationFailedException: {
    message: 'The external key store proxy rejected the request because it could not authenticate AWS KMS. Verify the XKS proxy authentication credentials for your external key store and update if necessary.',
    keyStore: XksProxyIncorrectAuthenticationCredentialException,
    createKey: CustomKeyStoreInvalidStateException,
    connection: 'INVALID_CREDENTIALS',
  },
  AccessDeniedException: {
    message: 'The external key store proxy denied access to the operation. Verify that the user and the external key are both authorized for this operation, and try the request again.',
    keyStore: XksProxyInvalidResponseException,
    createKey: KMSInvalidStateException,
    connection: 'XKS_PROXY_ACCESS_DENIED',
  },
  KeyNotFoundException: {
    message: 'The external key associated with this KMS key in an external key store was not found in its external key manager. If the external key ID associated with this KMS key is incorrect, create a new KMS key with the correct external key ID.',
    keyStore: XksProxyInvalidResponseException,
    createKey: XksKeyNotFoundException,
    connection: 'XKS_PROXY_INVALID_RESPONSE',
  },
  InvalidUriPathException: {
    message: 'The external key store proxy rejected the request because of an invalid URI path. Verify the URI path for your external key store and update if necessary.',
    keyStore: XksProxyInvalidConfigurationException,
    createKey: CustomKeyStoreInvalidStateException,
    connection: 'XKS_PROXY_INVALID_CONFIGURATION',
  },
  ThrottlingException: {
    message: 'The external key store proxy rejected the request due to a very high request rate. Reduce the frequency of your calls using KMS keys in this external key store.',
    keyStore: XksProxyUriUnreachableException,
    createKey: CustomKeyStoreInvalidStateException,
    connection: 'XKS_PROXY_NOT_REACHABLE',
  },
  UnsupportedOperationException: {
    message: 'The external key store proxy rejected the request because it does not support the requested operation. If you see this error repeatedly, report it to your external key store proxy administrator.',
    keyStore: XksProxyInvalidResponseException,
    createKey: XksProxyInvalidResponseException,
    connection: 'XKS_PROXY_INVALID_RESPONSE',
  },
  DependencyTimeoutException: {
    message: 'The external key store proxy did not respond to the request in the time allotted. Retry the request. If you see this error repeatedly, report it to your external key store proxy administrator.',
    keyStore: XksProxyUriUnreachableException,
    createKey: CustomKeyStoreInvalidStateException,
    connection: 'XKS_PROXY_TIMED_OUT',
  },
  InternalException: {
    message: 'The external key store proxy rejected the request because it cannot communicate with the external key manager. Verify that the external key store proxy configuration is correct and that the external key manager is available.',
    keyStore: XksProxyInvalidResponseException,
    createKey: CustomKeyStoreInvalidStateException,
    connection: 'XKS_PROXY_INVALID_RESPONSE',
  },
  Unreachable: { message: UNREACHABLE, keyStore: XksProxyUriUnreachableException, createKey: CustomKeyStoreInvalidStateException, connection: 'XKS_PROXY_NOT_REACHABLE' },
  TimedOut: {
    message: 'AWS KMS rejected the request because the external key store proxy did not respond in time. Retry the request. If you see this error repeatedly, report it to your external key store proxy administrator.',
    keyStore: XksProxyUriUnreachableException,
    createKey: CustomKeyStoreInvalidStateException,
    connection: 'XKS_PROXY_TIMED_OUT',
  },
  Malformed: { message: UNINTERPRETABLE, keyStore: XksProxyInvalidResponseException, createKey: CustomKeyStoreInvalidStateException, connection: 'XKS_PROXY_INVALID_RESPONSE' },
  NotConnected: {
    message: 'This KMS key is in a custom key store that is not connected to its external key store proxy. Connect the external key store and try the request again.',
    keyStore: CustomKeyStoreInvalidStateException,
    createKey: CustomKeyStoreInvalidStateException,
    connection: 'XKS_PROXY_NOT_REACHABLE',
  },
};

export const PROXY_ERROR_NAMES: ReadonlySet<string> = new Set(
  Object.keys(ANSWERS).filter((name) => !['Unreachable', 'TimedOut', 'Malformed', 'NotConnected'].includes(name)),
);

/** CreateCustomKeyStore and UpdateCustomKeyStore. */
export function keyStoreError(failure: ProxyFailure): KmsError {
  const answer = ANSWERS[failure];
  return new answer.keyStore(answer.message);
}

export function createKeyError(failure: ProxyFailure): KmsError {
  const answer = ANSWERS[failure];
  return new answer.createKey(answer.message);
}

/** Encrypt, Decrypt, ReEncrypt, GenerateDataKey*: always KMSInvalidStateException, the message says why. */
export function cryptoError(failure: ProxyFailure): KmsError {
  return new KMSInvalidStateException(ANSWERS[failure].message);
}

export function connectionErrorCode(failure: ProxyFailure): ConnectionErrorCode {
  return ANSWERS[failure].connection;
}
