import type { RequestMeta } from '../auth/caller';
import type { Principal } from '../auth/principal';
import type { Bindings } from '../env';
import { KmsError } from '../errors';
import { auditLog } from '../stubs';
import { auditEntry } from './entry';
import { withAuditScope } from './request-scope';

/**
 * Wraps one API request so that it is recorded exactly once, before the
 * response: by the key it reached (inside that key's object), or else here,
 * in the account's chain; authentication failures go to the service's own
 * account, since the caller's account is not known. Throttled requests
 * are the exception: they are counted (audit/throttled-tally.ts).
 */
export async function auditedRequest<T>(
  env: Bindings,
  request: RequestMeta,
  operation: string,
  run: (identified: (principal: Principal) => Principal) => Promise<T>,
): Promise<T> {
  let principal: Principal | undefined;
  const { run: pending, scope } = withAuditScope(() => run((verified) => (principal = verified)));
  let failure: { name: string; message: string } | undefined;
  try {
    return await pending;
  } catch (error) {
    failure = error instanceof KmsError ? { name: error.name, message: error.message } : { name: 'KMSInternalException', message: '' };
    throw error;
  } finally {
    if (!scope.recordedByKey) {
      const account = principal?.account ?? env.KMS_ACCOUNT_ID;
      const caller = principal ? { principal, request } : { request };
      const entry = auditEntry(caller, operation, failure, { account, ...(scope.keyId !== undefined && { keyId: scope.keyId }) });
      // Throttled requests are counted per principal rather than each recorded (throttled-tally.ts).
      if (principal && failure?.name === 'ThrottlingException') await auditLog(env, account).appendThrottled(account, entry);
      else await auditLog(env, account).append(account, entry);
    }
  }
}
