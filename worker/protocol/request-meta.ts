import type { Context } from 'hono';
import type { AppEnv } from '../app-env';
import type { RequestMeta } from '../auth/caller';

/** The facts about a request that policies and the audit trail use, as every adapter reads them. */
export function requestMeta(c: Context<AppEnv>, via: RequestMeta['via']): RequestMeta {
  return {
    requestId: c.get('requestId'),
    sourceIp: c.req.header('cf-connecting-ip'),
    userAgent: c.req.header('user-agent'),
    // The scheme the client used to reach the Worker (on Cloudflare, to its edge); headers could claim anything.
    secureTransport: new URL(c.req.url).protocol === 'https:',
    via,
  };
}
