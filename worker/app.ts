import { Hono } from 'hono';
import type { AppEnv } from './app-env';
import { demo } from './demo/routes';
import { KmsError, ThrottlingException, UnknownOperationException, serializeError } from './errors';
import { aws } from './protocol/aws';
import { bench } from './bench/baseline-route';
import { native } from './protocol/native';

/**
 * The Worker's HTTP surface: the API under /v1, the demo page's sign-in and
 * storage under /demo, the demo page (static assets) for every other GET.
 * Errors leave as `{ "__type", "message" }`.
 */
export const app = new Hono<AppEnv>();

app.use('*', async (c, next) => {
  const requestId = crypto.randomUUID();
  c.set('requestId', requestId);
  await next();
  c.header('x-amzn-requestid', requestId);
});

app.route('/v1', native);
app.route('/', aws);
app.route('/bench', bench);
app.route('/demo', demo);

app.get('*', (c) => c.env.ASSETS.fetch(c.req.raw));

app.notFound(() => {
  throw new UnknownOperationException('No such route.');
});

app.onError((error, c) => {
  const { name, message } = serializeError(error);
  const status = error instanceof KmsError ? error.status : 500;
  c.header('x-amzn-requestid', c.get('requestId'));
  if (error instanceof ThrottlingException) c.header('retry-after', String(error.retryAfterSeconds));
  return c.json({ __type: name, message }, status as 400);
});
