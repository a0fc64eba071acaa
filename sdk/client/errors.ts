/**
 * The errors the client throws, beside the SDK's own: the service refused a request
 * (`KmsServiceError`, named after the service's `__type`), a request took too long
 * (`KmsTimeoutError`), or no HTTP response came back at all (`KmsNetworkError`). A caller's own
 * `AbortSignal` rejects with the caller's abort reason, as `fetch` does.
 */
import { EdgeKmsError } from '../errors';

export interface KmsServiceErrorDetails {
  /** The service's error name (`__type`), e.g. "AccessDeniedException". Becomes `name`. */
  readonly errorName: string;
  readonly message: string;
  /** HTTP status of the response. */
  readonly status: number;
  /** The `x-amzn-requestid` header: quote it when asking about a request, it is in the audit trail. */
  readonly requestId?: string | undefined;
  /** Seconds from the `Retry-After` header, when the service sent one (throttling). */
  readonly retryAfterSeconds?: number | undefined;
  /** The operation that was called, e.g. "Decrypt". */
  readonly operation: string;
  /** How many HTTP attempts were made, retries included. */
  readonly attempts: number;
}

/**
 * The service answered with an error. `name` is the service's error name, unchanged
 * (`AccessDeniedException`, `DisabledException`, `ThrottlingException`, ...; docs/api.md lists
 * them), so `err.name === 'DisabledException'` is how to branch on it. One class for every name
 * keeps the SDK small and lets names the service adds later arrive typed too.
 */
export class KmsServiceError extends EdgeKmsError {
  override name: string;
  readonly status: number;
  readonly requestId: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly operation: string;
  readonly attempts: number;

  constructor(details: KmsServiceErrorDetails) {
    super(details.message);
    this.name = details.errorName;
    this.status = details.status;
    this.requestId = details.requestId;
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.operation = details.operation;
    this.attempts = details.attempts;
  }
}

/** True when `error` is a service error, optionally one with the given name. */
export function isKmsServiceError(error: unknown, errorName?: string): error is KmsServiceError {
  return error instanceof KmsServiceError && (errorName === undefined || error.name === errorName);
}

/** No complete response within `timeoutMs` (on the last attempt, when retries were allowed). */
export class KmsTimeoutError extends EdgeKmsError {
  override name = 'KmsTimeoutError';
  readonly operation: string;
  readonly timeoutMs: number;
  readonly attempts: number;

  constructor(operation: string, timeoutMs: number, attempts: number) {
    super(`${operation}: no response within ${timeoutMs} ms (attempt ${attempts})`);
    this.operation = operation;
    this.timeoutMs = timeoutMs;
    this.attempts = attempts;
  }
}

/** `fetch` failed without an HTTP response (DNS, connection, TLS, CORS); `cause` is its error. */
export class KmsNetworkError extends EdgeKmsError {
  override name = 'KmsNetworkError';
  readonly operation: string;
  readonly attempts: number;

  constructor(operation: string, attempts: number, cause: unknown) {
    super(`${operation}: request failed without a response (attempt ${attempts}): ${describe(cause)}`, { cause });
    this.operation = operation;
    this.attempts = attempts;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
