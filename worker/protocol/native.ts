import { Hono } from 'hono';
import { auditedRequest } from '../audit/request-audit';
import { authenticateBearer } from '../auth/authenticate';
import { withFairShare } from '../auth/fair-share';
import { throttle } from '../auth/throttle';
import type { AppEnv } from '../app-env';
import { readJsonObject, toJson } from '../wire/json';
import { dispatch } from './dispatch';
import { requestMeta } from './request-meta';

/**
 * The native protocol: `POST /v1/<Operation>` with a bearer token and the AWS
 * KMS JSON shapes. It is what the EdgeKMS SDK speaks.
 */
export const native = new Hono<AppEnv>();

native.post('/:operation', async (c) => {
  const operation = c.req.param('operation');
  const request = requestMeta(c, 'native');
  const output = await auditedRequest(c.env, request, `kms:${operation}`, async (identified) => {
    const principal = identified(await authenticateBearer(c.req.header('authorization'), c.env));
    throttle(principal, c.env);
    return withFairShare(principal, c.env, () => dispatch(operation, () => readJsonObject(c.req.raw), c.env, { principal, request }));
  });
  return c.body(toJson(output), 200, { 'content-type': 'application/json' });
});
