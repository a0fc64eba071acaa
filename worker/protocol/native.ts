import { Hono } from 'hono';
import type { AppEnv } from '../app-env';
import { auditRequest } from '../middleware/request-audit';
import { requestFacts } from '../middleware/request-facts';
import { bearerSignIn } from '../middleware/sign-in';
import { fairShare, rateLimit } from '../middleware/throttling';
import { readJsonObject, toJson } from '../wire/json';
import { dispatch } from './dispatch';
import { nativeRegion, REGION_HEADER } from './native-region';

/**
 * The native protocol: `POST /v1/<Operation>` with a bearer token and the AWS
 * KMS JSON shapes. It is what the EdgeKMS SDK speaks. Sign-in, throttling and
 * the audit record are the middleware's (worker/middleware/), in that order
 * of the request: the audit sees every refusal. The request's region is
 * native-region.ts's choice.
 */
export const native = new Hono<AppEnv>();

native.post(
  '/:operation',
  requestFacts('native'),
  auditRequest((c) => `kms:${c.req.param('operation')}`),
  bearerSignIn,
  rateLimit,
  fairShare,
  async (c) => {
    const output = await dispatch(c.req.param('operation')!, () => readJsonObject(c.req.raw), c, (input) =>
      nativeRegion(c.env, c.req.header(REGION_HEADER), input),
    );
    return c.body(toJson(output), 200, { 'content-type': 'application/json' });
  },
);
