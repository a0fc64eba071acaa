import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../app-env';
import { authenticateBearer } from '../auth/authenticate';
import { sha256Hex, verifySigV4 } from '../auth/sigv4';
import { readBodyBytes } from '../wire/json';

/** Sets `c.var.principal` from `Authorization: Bearer <admin token or JWT>` (the native protocol, the demo routes). */
export const bearerSignIn: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set('principal', await authenticateBearer(c.req.header('authorization'), c.env));
  await next();
};

/**
 * Sets `c.var.principal` from the request's SigV4 signature (the AWS
 * protocol), and `c.var.region` from its credential scope. The signature covers the body's hash, so the body is read here,
 * bounded (wire/json.ts), and left in `c.var.body` for the route.
 */
export const sigV4SignIn: MiddlewareHandler<AppEnv> = async (c, next) => {
  const body = await readBodyBytes(c.req.raw);
  const signedIn = await verifySigV4({ method: c.req.method, url: new URL(c.req.url), headers: c.req.raw.headers, payloadHash: await sha256Hex(body) }, c.env);
  c.set('principal', signedIn.principal);
  c.set('region', signedIn.region);
  c.set('body', body);
  await next();
};
