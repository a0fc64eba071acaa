import { Hono } from 'hono';
import { authenticateBearer } from '../auth/authenticate';
import type { AppEnv } from '../app-env';
import { readJsonObject, toJson } from '../wire/json';
import { dispatch } from './dispatch';

/**
 * The native protocol: `POST /v1/<Operation>` with a bearer token and the AWS
 * KMS JSON shapes. It is what the EdgeKMS SDK speaks.
 */
export const native = new Hono<AppEnv>();

native.post('/:operation', async (c) => {
  const principal = await authenticateBearer(c.req.header('authorization'), c.env);
  const request = {
    requestId: c.get('requestId'),
    sourceIp: c.req.header('cf-connecting-ip'),
    userAgent: c.req.header('user-agent'),
    via: 'native' as const,
  };
  const output = await dispatch(c.req.param('operation'), () => readJsonObject(c.req.raw), c.env, { principal, request });
  return c.body(toJson(output), 200, { 'content-type': 'application/json' });
});
