import type { Caller } from '../auth/caller';
import type { SerializedError } from '../errors';
import { isIpLiteral } from '../wire/ip-address';
import { auditedContext } from './context-summary';
import type { AuditEntry, Outcome } from './record';

const DENIALS = new Set([
  'AccessDeniedException',
  'UnauthenticatedException',
  'InvalidTokenException',
  'ExpiredTokenException',
  'ThrottlingException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignature',
]);

export function outcomeOf(error: SerializedError | undefined): Outcome {
  if (!error) return 'Allowed';
  return DENIALS.has(error.name) ? 'Denied' : 'Failed';
}

/** What a record keeps of a CF-Connecting-IP header, which only Cloudflare's edge sets truthfully. */
export const INVALID_SOURCE_IP = 'invalid';

/** The header verbatim if it is an IP address literal; anything else, however long, as INVALID_SOURCE_IP. */
export function auditedSourceIp(header: string): string {
  return isIpLiteral(header) ? header : INVALID_SOURCE_IP;
}

/** The audit entry of one request: identity and transport from the caller, the rest from the operation. */
export function auditEntry(
  caller: Caller | { principal?: undefined; request: Caller['request'] },
  operation: string,
  error: SerializedError | undefined,
  details: Pick<AuditEntry, 'keyId' | 'keyVersion' | 'encryptionContext'> & { account?: string } = {},
): AuditEntry {
  const { request, principal } = caller;
  return {
    time: Date.now(),
    requestId: request.requestId,
    principal: principal?.arn ?? 'anonymous',
    account: principal?.account ?? details.account ?? '',
    // Operation names come from the URL; bound what an unauthenticated caller can write.
    operation: operation.slice(0, 128),
    outcome: outcomeOf(error),
    ...(details.keyId !== undefined && { keyId: details.keyId }),
    ...(details.keyVersion !== undefined && { keyVersion: details.keyVersion }),
    ...(details.encryptionContext !== undefined && auditedContext(details.encryptionContext)),
    ...(error && { errorName: error.name }),
    ...(request.sourceIp !== undefined && { sourceIp: auditedSourceIp(request.sourceIp) }),
    ...(request.userAgent !== undefined && { userAgent: request.userAgent.slice(0, 256) }),
  };
}
