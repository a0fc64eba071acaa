import type { Caller } from '../auth/caller';
import type { SerializedError } from '../errors';
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
    ...(details.encryptionContext !== undefined && { encryptionContext: details.encryptionContext }),
    ...(error && { errorName: error.name }),
    ...(request.sourceIp !== undefined && { sourceIp: request.sourceIp }),
    ...(request.userAgent !== undefined && { userAgent: request.userAgent.slice(0, 256) }),
  };
}
