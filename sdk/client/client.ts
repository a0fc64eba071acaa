/**
 * `createClient`: the native EdgeKMS API over `fetch`, for browsers, Workers and Node alike.
 * Each call asks the token provider for a token (so tokens can refresh between calls and
 * retries), runs attempts under a per-attempt timeout and the caller's signal, and retries
 * what is worth retrying (retry.ts) before surfacing a typed error (errors.ts).
 */
import { InvalidArgumentError } from '../errors';
import { KmsNetworkError, KmsServiceError, KmsTimeoutError } from './errors';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, isIdempotent, isRetryableStatus, parseRetryAfter, retryDelayMs } from './retry';
import { REAL_TIMERS, attemptSignal, sleep as realSleep } from './signals';
import { type FetchLike, attempt } from './transport';
import type {
  DecryptInput,
  DecryptOutput,
  DescribeKeyInput,
  DescribeKeyOutput,
  EncryptInput,
  EncryptOutput,
  GenerateDataKeyInput,
  GenerateDataKeyOutput,
  GetAuditInclusionProofInput,
  GetAuditInclusionProofOutput,
  GetReceiptPublicKeyInput,
  GetReceiptPublicKeyOutput,
  RequestOptions,
  WithMetadata,
} from './types';

export interface ClientOptions {
  /** The service's origin, e.g. "https://kms.example.com" (a path prefix is kept). */
  readonly endpoint: string;
  /** Returns the bearer token; called before every attempt, so it may refresh an expired one. */
  readonly getToken: () => string | Promise<string>;
  /** Defaults to the global `fetch`. A Worker may pass a service binding's `fetch`. */
  readonly fetch?: FetchLike;
  /** Per attempt, from sending to the end of the response body. Default 10 s; 0 disables. */
  readonly timeoutMs?: number;
  /** Retries after the first attempt, or a full policy. Default 3 retries, 100 ms base, 20 s cap. */
  readonly retries?: number | Partial<RetryPolicy>;
  /** Waits between attempts; injectable for tests. Must reject with the signal's reason on abort. */
  readonly sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  /** Uniform [0, 1) source for the jitter; injectable for tests. */
  readonly random?: () => number;
  /**
   * The region to act in when a request names no key ARN (sent as `x-edgekms-region`); a key
   * ARN always decides for itself. Default: the service's default region.
   */
  readonly region?: string;
}

export interface KmsClient {
  readonly endpoint: string;
  /** Any operation of the native API; `Uint8Array` inputs and binary outputs are handled. */
  send<O = Record<string, unknown>>(operation: string, input?: object, options?: RequestOptions): Promise<WithMetadata<O>>;
  generateDataKey(input: GenerateDataKeyInput, options?: RequestOptions): Promise<WithMetadata<GenerateDataKeyOutput>>;
  encrypt(input: EncryptInput, options?: RequestOptions): Promise<WithMetadata<EncryptOutput>>;
  decrypt(input: DecryptInput, options?: RequestOptions): Promise<WithMetadata<DecryptOutput>>;
  describeKey(input: DescribeKeyInput, options?: RequestOptions): Promise<WithMetadata<DescribeKeyOutput>>;
  /** The account's receipt signing key in the client's region (verifyReceipt); pin it rather than fetch it per receipt. */
  getReceiptPublicKey(input?: GetReceiptPublicKeyInput, options?: RequestOptions): Promise<WithMetadata<GetReceiptPublicKeyOutput>>;
  /** A receipt's inclusion proof: its key's chain from the receipt's record to a signed head. */
  getAuditInclusionProof(input: GetAuditInclusionProofInput, options?: RequestOptions): Promise<WithMetadata<GetAuditInclusionProofOutput>>;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const OPERATION_NAME = /^[A-Za-z][A-Za-z0-9]{0,127}$/;
const REGION_CODE = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

export function createClient(options: ClientOptions): KmsClient {
  const { endpoint, getToken } = options ?? ({} as ClientOptions);
  if (typeof endpoint !== 'string' || !/^https?:\/\//i.test(endpoint)) {
    throw new InvalidArgumentError('createClient needs an http(s) endpoint');
  }
  if (typeof getToken !== 'function') throw new InvalidArgumentError('createClient needs a getToken function');
  const base = endpoint.replace(/\/+$/, '');
  const fetchFn: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!(timeoutMs >= 0)) throw new InvalidArgumentError('timeoutMs must be 0 or more');
  const policy = retryPolicy(options.retries);
  const sleep = options.sleep ?? ((ms, signal) => realSleep(ms, signal));
  const random = options.random ?? Math.random;
  const { region } = options;
  if (region !== undefined && !(typeof region === 'string' && REGION_CODE.test(region))) {
    throw new InvalidArgumentError('region must be a region code such as "eu-west-1"');
  }

  async function send<O>(operation: string, input: object = {}, { signal }: RequestOptions = {}): Promise<WithMetadata<O>> {
    if (!OPERATION_NAME.test(operation)) throw new InvalidArgumentError(`not an operation name: ${JSON.stringify(operation)}`);
    const url = `${base}/v1/${operation}`;
    for (let attempts = 1; ; attempts++) {
      signal?.throwIfAborted();
      const token = await getToken();
      if (typeof token !== 'string' || token === '') throw new InvalidArgumentError('getToken returned no token');
      const scope = attemptSignal(signal, timeoutMs, REAL_TIMERS);
      let outcome;
      try {
        outcome = await attempt({ url, token, body: input, signal: scope.signal, fetch: fetchFn, region });
      } finally {
        scope.dispose();
      }

      let failure: Error;
      let retryAfterMs: number | undefined;
      if (outcome.kind === 'ok') {
        const metadata = { requestId: outcome.requestId, status: outcome.status, attempts };
        return { ...(outcome.body as O), $metadata: metadata };
      } else if (outcome.kind === 'error') {
        retryAfterMs = parseRetryAfter(outcome.retryAfter, Date.now());
        failure = new KmsServiceError({
          errorName: outcome.errorName,
          message: outcome.message,
          status: outcome.status,
          requestId: outcome.requestId,
          retryAfterSeconds: retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000),
          operation,
          attempts,
        });
        if (!isRetryableStatus(outcome.status, operation)) throw failure;
      } else if (signal?.aborted) {
        throw signal.reason;
      } else if (scope.timedOut()) {
        failure = new KmsTimeoutError(operation, timeoutMs, attempts);
        if (!isIdempotent(operation)) throw failure;
      } else {
        failure = new KmsNetworkError(operation, attempts, outcome.cause);
        if (!isIdempotent(operation)) throw failure;
      }

      if (attempts > policy.retries) throw failure;
      const delay = retryDelayMs(policy, attempts, retryAfterMs, random);
      if (delay === undefined) throw failure;
      await sleep(delay, signal);
    }
  }

  return Object.freeze({
    endpoint: base,
    send,
    generateDataKey: (input, options) => send<GenerateDataKeyOutput>('GenerateDataKey', input, options),
    encrypt: (input, options) => send<EncryptOutput>('Encrypt', input, options),
    decrypt: (input, options) => send<DecryptOutput>('Decrypt', input, options),
    describeKey: (input, options) => send<DescribeKeyOutput>('DescribeKey', input, options),
    getReceiptPublicKey: (input = {}, options) => send<GetReceiptPublicKeyOutput>('GetReceiptPublicKey', input, options),
    getAuditInclusionProof: (input, options) => send<GetAuditInclusionProofOutput>('GetAuditInclusionProof', input, options),
  } satisfies KmsClient);
}

function retryPolicy(retries: ClientOptions['retries']): RetryPolicy {
  const policy = typeof retries === 'number' ? { ...DEFAULT_RETRY_POLICY, retries } : { ...DEFAULT_RETRY_POLICY, ...retries };
  for (const [name, value] of Object.entries(policy)) {
    if (typeof value !== 'number' || !(value >= 0) || (name === 'retries' && !Number.isInteger(value))) {
      throw new InvalidArgumentError(`retry option ${name} must be a non-negative ${name === 'retries' ? 'integer' : 'number'}`);
    }
  }
  return Object.freeze(policy);
}
