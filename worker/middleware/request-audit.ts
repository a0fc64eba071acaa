import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../app-env';
import { newRequestAudit } from '../audit/request-note';
import type { Principal } from '../auth/principal';
import { KmsError } from '../errors';
import { auditLog } from '../stubs';
import { auditEntry } from '../audit/entry';

/**
 * Records one API request exactly once, before the response leaves: by the
 * key it reached (inside that key's object, which the operation reports in
 * `c.var.audit`), or else here, in the account's chain of the request's region; sign-in failures go
 * to the service's own account, since the caller's account is not known.
 * Throttled requests are the exception: they are counted
 * (audit/throttled-tally.ts). Runs before sign-in, so that it sees every
 * refusal; `operationOf` names the operation as the request claims it.
 */
export function auditRequest(operationOf: (c: Context<AppEnv>) => string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const operation = operationOf(c);
    const audit = newRequestAudit();
    c.set('audit', audit);
    // Hono turns an error of a later step into its answer (onError) and leaves the error in `c.error`.
    await next();
    if (audit.recordedByKey) return;
    const error = c.error;
    const failure =
      error === undefined ? undefined : error instanceof KmsError ? { name: error.name, message: error.message } : { name: 'KMSInternalException', message: '' };
    const principal = c.get('principal') as Principal | undefined;
    const request = c.get('request');
    const account = principal?.account ?? c.env.KMS_ACCOUNT_ID;
    // The region the request acted in, once known (app-env.ts); a request refused before that is the default region's.
    const scope = { account, region: (c.get('region') as string | undefined) ?? c.env.KMS_REGION };
    const caller = principal ? { principal, request } : { request };
    const entry = auditEntry(caller, operation, failure, { account, ...(audit.keyId !== undefined && { keyId: audit.keyId }) });
    // Throttled requests are counted per principal rather than each recorded (throttled-tally.ts).
    if (principal && failure?.name === 'ThrottlingException') await auditLog(c.env, scope).appendThrottled(account, entry);
    else await auditLog(c.env, scope).append(account, entry);
  };
}
