/**
 * Errors in words a person can act on. The SDK and the service name their errors stably
 * (sdk/errors.ts, worker/errors.ts); this is the one place the page turns those names into
 * sentences, keeping the service's own message for detail.
 */
import { KmsNetworkError, KmsServiceError, KmsTimeoutError, NoDecryptableKeyError } from '../../sdk/index';
import { SessionExpiredError, SignedOutError } from './session';

/** The service error behind a keyring failure, if there is one. */
function serviceCause(error: unknown): KmsServiceError | undefined {
  if (error instanceof KmsServiceError) return error;
  if (error instanceof NoDecryptableKeyError) return error.causes.find((cause) => cause instanceof KmsServiceError) as KmsServiceError | undefined;
  return undefined;
}

/** The KMS client names operations ("Decrypt"); the demo storage calls describe theirs in words. */
const fromStorage = (error: KmsServiceError) => /\s/.test(error.operation);

const SIGN_IN_ERRORS = new Set(['ExpiredTokenException', 'InvalidTokenException', 'UnauthenticatedException', 'ThrottlingException']);

function explainService(error: KmsServiceError, action: string): string {
  if (fromStorage(error) && !SIGN_IN_ERRORS.has(error.name)) {
    return `The demo storage refused the ${error.operation}: ${error.message}`;
  }
  switch (error.name) {
    case 'ExpiredTokenException':
      return 'Your sign-in has expired (demo tokens last 15 minutes). Sign in again.';
    case 'InvalidTokenException':
    case 'UnauthenticatedException':
      return `The service did not accept your sign-in: ${error.message} Sign in again.`;
    case 'AccessDeniedException':
      return `Access denied: you may not ${action}. The key's policy does not allow you. (${error.message})`;
    case 'DisabledException':
      return `The key is disabled, so nothing can be encrypted or decrypted with it. Enable it in “Your key”. (${error.message})`;
    case 'KMSInvalidStateException':
      return `The key cannot be used in its current state: ${error.message} If it is pending deletion, cancel the deletion first.`;
    case 'NotFoundException':
      return `Not found: ${error.message}`;
    case 'ThrottlingException':
      return `Too many requests; try again${error.retryAfterSeconds ? ` in ${error.retryAfterSeconds} s` : ' shortly'}.`;
    case 'UnknownOperationException':
      return `The Worker does not offer this: ${error.message}`;
    default:
      return `${action} failed: ${error.message} (${error.name}${error.requestId ? `, request ${error.requestId}` : ''})`;
  }
}

/** A sentence for `error`, which arose while trying to `action` (e.g. "decrypt this upload"). */
export function explain(error: unknown, action: string): string {
  if (error instanceof SessionExpiredError) return 'Your sign-in has expired (demo tokens last 15 minutes). Sign in again.';
  if (error instanceof SignedOutError) return 'You are signed out. Sign in first.';
  const cause = serviceCause(error);
  if (cause) return explainService(cause, action);
  if (error instanceof KmsNetworkError || (error instanceof TypeError && /fetch/i.test(error.message))) {
    return `The connection to the EdgeKMS Worker failed while trying to ${action} (${error.message}). Is \`npm start\` still running?`;
  }
  if (error instanceof KmsTimeoutError) return `The service took too long to answer while trying to ${action}. Try again.`;
  if (error instanceof DOMException && error.name === 'AbortError') return `Cancelled: ${action}.`;
  if (!(error instanceof Error)) return `Could not ${action}: ${String(error)}`;
  switch (error.name) {
    case 'ContextMismatchError':
      return `Refused to decrypt: the stored data is not what this upload should hold (its encryption context does not match). It may have been swapped. (${error.message})`;
    case 'AuthenticationError':
    case 'CommitmentMismatchError':
    case 'MalformedMessageError':
    case 'TooManyEncryptedDataKeysError':
      return `Refused to decrypt: the stored ciphertext was altered or is incomplete, and no byte of it was shown. (${error.message})`;
    case 'NoKeyError':
    case 'FileTooLargeError':
      return error.message;
    case 'NoDecryptableKeyError':
      return `No key you may use can decrypt this: ${error.message}`;
    default:
      return `Could not ${action}: ${error.message} (${error.name})`;
  }
}
