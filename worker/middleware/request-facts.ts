import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../app-env';
import type { RequestMeta } from '../auth/caller';

/** Sets `c.var.request`: the facts about a request that policies and the audit trail use, as every protocol reads them. */
export function requestFacts(via: RequestMeta['via']): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('request', {
      requestId: c.get('requestId'),
      sourceIp: c.req.header('cf-connecting-ip'),
      userAgent: c.req.header('user-agent'),
      origin: c.req.header('origin'),
      // The scheme the client used to reach the Worker (on Cloudflare, to its edge); headers could claim anything.
      secureTransport: new URL(c.req.url).protocol === 'https:',
      via,
    });
    await next();
  };
}
