import type { Bindings } from '../env';
import { KMSInternalException, UnknownOperationException } from '../errors';

/**
 * Demo sign-in hands an administrator's token to anyone who asks, so every
 * demo route but the session config is absent unless DEMO_MODE is exactly "1"
 * (wrangler.toml says "0", so a deploy gets it off; `.dev.vars` turns it on).
 */
export function demoModeOn(env: Bindings): boolean {
  return env.DEMO_MODE === '1';
}

export function requireDemoMode(env: Bindings): void {
  if (!demoModeOn(env)) {
    throw new UnknownOperationException('Demo mode is off: set DEMO_MODE=1 in .dev.vars (npm start does) to use the demo routes.');
  }
}

/** The demo storage; its absence is a deployment fault, named so that it can be fixed. */
export function uploadsBucket(env: Bindings): R2Bucket {
  if (!env.UPLOADS) {
    throw new KMSInternalException('Demo storage is not configured: the R2 binding UPLOADS is missing (see wrangler.toml).');
  }
  return env.UPLOADS;
}
