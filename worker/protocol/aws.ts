import { Hono, type Context } from 'hono';
import type { AppEnv } from '../app-env';
import { auditedRequest } from '../audit/request-audit';
import { sha256Hex, verifySigV4 } from '../auth/sigv4';
import { throttle } from '../auth/throttle';
import { KmsError, KMSInternalException, UnknownOperationException, serializeError } from '../errors';
import { parseJsonObject, readBodyBytes, toJson } from '../wire/json';
import { dispatch } from './dispatch';
import { requestMeta } from './request-meta';

/**
 * The AWS KMS wire protocol (JSON 1.1): `POST /` with
 * `X-Amz-Target: TrentService.<Operation>`, SigV4-signed. The same
 * operations, policies, grants and audit as the native protocol; errors
 * as AWS KMS sends them, so the AWS SDKs raise their typed exceptions.
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
  });
}

/** The target header, or (in a presigned request, whose signer hoists headers) the query parameter. */
function targetOf(c: Context<AppEnv>): string {
  const header = c.req.header('x-amz-target');
  if (header !== undefined) return header;
  for (const [name, value] of new URL(c.req.url).searchParams) if (name.toLowerCase() === 'x-amz-target') return value;
  return '';
}

aws.post('/', async (c) => {
  const target = targetOf(c);
  const operation = TARGET.exec(target)?.[1];
  const request = requestMeta(c, 'aws');
  try {
    const output = await auditedRequest(c.env, request, `kms:${operation ?? target.slice(0, 64)}`, async (identified) => {
      const body = await readBodyBytes(c.req.raw);
      const principal = identified(
        await verifySigV4(
          { method: c.req.method, url: new URL(c.req.url), headers: c.req.raw.headers, payloadHash: await sha256Hex(body) },
          c.env,
        ),
      );
      throttle(principal, c.env);
      if (!operation) throw new UnknownOperationException(`Unknown X-Amz-Target '${target.slice(0, 128)}'.`);
      return dispatch(operation, async () => parseJsonObject(new TextDecoder().decode(body)), c.env, { principal, request });
    });
    return c.body(toJson(output), 200, { 'content-type': CONTENT_TYPE });
  } catch (error) {
    return awsError(c, error);
  }
});
