import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../app-env';
import { withFairShare } from '../auth/fair-share';
import { throttle } from '../auth/throttle';

/** The signed-in principal's rate limit (auth/throttle.ts): before any work, so a throttled request changes no state. */
export const rateLimit: MiddlewareHandler<AppEnv> = async (c, next) => {
  throttle(c.var.principal, c.env);
  await next();
};

/**
 * The rest of the request waits for the principal's turn in the isolate
 * (auth/fair-share.ts), and gives it back when the route has answered.
 */
export const fairShare: MiddlewareHandler<AppEnv> = async (c, next) => {
  await withFairShare(c.var.principal, c.env, next);
};
