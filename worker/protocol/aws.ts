import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { AppEnv } from '../app-env';
import { KmsError, KMSInternalException, ThrottlingException, UnknownOperationException, ValidationException, serializeError } from '../errors';
import { auditRequest } from '../middleware/request-audit';
import { requestFacts } from '../middleware/request-facts';
import { sigV4SignIn } from '../middleware/sign-in';
import { fairShare, rateLimit } from '../middleware/throttling';
import { parseJsonObject, toJson } from '../wire/json';
import { dispatch } from './dispatch';

/**
 * The AWS KMS wire protocol (JSON 1.1): `POST /` with
 * `X-Amz-Target: TrentService.<Operation>`, SigV4-signed. The same
 * operations, policies, grants and audit as the native protocol; errors
 * as AWS KMS sends them, so the AWS SDKs raise their typed exceptions.
 * Sign-in, throttling and the audit record are the middleware's
 * (worker/middleware/), as on /v1; any step's error answers as awsError.
 */
export const aws = new Hono<AppEnv>();

const CONTENT_TYPE = 'application/x-amz-json-1.1';
const TARGET = /^TrentService\.([A-Za-z]+)$/;

function awsError(c: Context<AppEnv>, error: unknown) {
  const { name, message } = serializeError(error);
  // AWS KMS answers client errors with 400 and its own faults with 500.
  const status = error instanceof KmsError && !(error instanceof KMSInternalException) ? 400 : 500;
  return c.body(JSON.stringify({ __type: name, message }), status, {
    'content-type': CONTENT_TYPE,
    'x-amzn-requestid': c.get('requestId'),
    // AWS answers throttling with 400 alone; the header, as the native protocol sends it, says when to retry.
    ...(error instanceof ThrottlingException && { 'retry-after': String(error.retryAfterSeconds) }),
  });
}

/**
 * The operation: the `X-Amz-Target` header, or the query parameter of that
 * name (a presigned request's signer hoists headers into the query). Read
 * for dispatch only after `verifySigV4`, which refuses an unsigned `x-amz-*`
 * header and always covers the query, so both sources are signed. Where both
 * are present they must agree: the request must name one operation.
 */
function targetOf(c: Context<AppEnv>): string {
  const named = c.var.targets;
  if (named.size > 1) throw new ValidationException('The request names more than one X-Amz-Target.');
  return named.values().next().value ?? '';
}

/** Reads the request's X-Amz-Target values once, into `c.var.targets`, for the audit record and for dispatch. */
const namedTargets: MiddlewareHandler<AppEnv> = async (c, next) => {
  const named = new Set<string>();
  const header = c.req.header('x-amz-target');
  if (header !== undefined) named.add(header);
  for (const [name, value] of new URL(c.req.url).searchParams) if (name.toLowerCase() === 'x-amz-target') named.add(value);
  c.set('targets', named);
  await next();
};

/** What the request claims to be, for the audit record of a request that may be refused before it is verified. */
function claimedOperation(c: Context<AppEnv>): string {
  const claimed = [...c.var.targets].join(',');
  return `kms:${TARGET.exec(claimed)?.[1] ?? claimed.slice(0, 64)}`;
}

/**
 * Sets `c.var.operation` from the verified target, before the request waits
 * for its turn: an unknown operation is refused at once.
 */
const namedOperation: MiddlewareHandler<AppEnv> = async (c, next) => {
  const target = targetOf(c);
  const operation = TARGET.exec(target)?.[1];
  if (!operation) throw new UnknownOperationException(`Unknown X-Amz-Target '${target.slice(0, 128)}'.`);
  c.set('operation', operation);
  await next();
};

aws.onError((error, c) => awsError(c, error));

aws.post('/', requestFacts('aws'), namedTargets, auditRequest(claimedOperation), sigV4SignIn, rateLimit, namedOperation, fairShare, async (c) => {
  const body = c.var.body;
  const output = await dispatch(c.var.operation, async () => parseJsonObject(new TextDecoder().decode(body)), c);
  return c.body(toJson(output), 200, { 'content-type': CONTENT_TYPE });
});
