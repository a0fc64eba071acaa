/**
 * One HTTP attempt of one operation: `POST <endpoint>/v1/<Operation>` with the bearer token,
 * under the attempt's signal, read to the end. It classifies the outcome for the retry loop and
 * does not decide anything itself.
 */
import { decodeResponse, encodeRequest } from './codec';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export type AttemptOutcome =
  | { readonly kind: 'ok'; readonly body: unknown; readonly status: number; readonly requestId: string | undefined }
  | {
      readonly kind: 'error';
      readonly errorName: string;
      readonly message: string;
      readonly status: number;
      readonly requestId: string | undefined;
      readonly retryAfter: string | null;
    }
  /** fetch (or reading the body) threw: a network failure or an abort. */
  | { readonly kind: 'failed'; readonly cause: unknown };

export interface AttemptRequest {
  readonly url: string;
  readonly token: string;
  readonly body: unknown;
  readonly signal: AbortSignal;
  readonly fetch: FetchLike;
  /** Sent as `x-edgekms-region`: the region a request that names no key ARN acts in. */
  readonly region?: string | undefined;
}

export async function attempt(request: AttemptRequest): Promise<AttemptOutcome> {
  let response: Response;
  let text: string;
  try {
    response = await request.fetch(request.url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${request.token}`,
        'content-type': 'application/json',
        ...(request.region !== undefined && { 'x-edgekms-region': request.region }),
      },
      body: encodeRequest(request.body),
      signal: request.signal,
    });
    text = await response.text();
  } catch (cause) {
    return { kind: 'failed', cause };
  }
  const requestId = response.headers.get('x-amzn-requestid') ?? undefined;
  const parsed = parseJson(text);
  if (response.ok) {
    if (parsed === undefined || typeof parsed !== 'object' || parsed === null) {
      return errorOutcome(response, requestId, 'InvalidResponseError', 'the service answered with a body that is not a JSON object');
    }
    try {
      return { kind: 'ok', body: decodeResponse(parsed), status: response.status, requestId };
    } catch (error) {
      return errorOutcome(response, requestId, 'InvalidResponseError', (error as Error).message);
    }
  }
  const fields = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const type = typeof fields.__type === 'string' ? fields.__type : response.headers.get('x-amzn-errortype');
  // AWS may qualify the name ("com.amazonaws.kms#NotFoundException") or append details (":http://...").
  const errorName = type ? type.split('#').pop()!.split(':')[0]! : `HttpError${response.status}`;
  const message = typeof fields.message === 'string' ? fields.message : typeof fields.Message === 'string' ? fields.Message : `HTTP ${response.status}`;
  return errorOutcome(response, requestId, errorName, message);
}

function errorOutcome(response: Response, requestId: string | undefined, errorName: string, message: string): AttemptOutcome {
  return { kind: 'error', errorName, message, status: response.status, requestId, retryAfter: response.headers.get('retry-after') };
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
