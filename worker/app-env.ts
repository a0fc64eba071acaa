import type { RequestAudit } from './audit/request-note';
import type { RequestMeta } from './auth/caller';
import type { Principal } from './auth/principal';
import type { Bindings } from './env';

/**
 * Hono's typing of this app: the Worker bindings and per-request variables.
 * The middleware of worker/middleware/ sets them, in this order, before a
 * route runs: `request` (the request's facts), `audit` (what the key's
 * chain recorded), `principal` (once signed in) and, for the AWS protocol,
 * `targets` (its X-Amz-Target values), `body` (the bytes SigV4 covered) and
 * `operation`.
 */
export interface AppEnv {
  Bindings: Bindings;
  Variables: {
    requestId: string;
    request: RequestMeta;
    audit: RequestAudit;
    principal: Principal;
    body: Uint8Array;
    /** The AWS protocol's X-Amz-Target values, from its header and query, read once; verified by sign-in. */
    targets: ReadonlySet<string>;
    /** The AWS protocol's operation, from its verified X-Amz-Target. */
    operation: string;
  };
}
