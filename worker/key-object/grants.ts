import type { Caller } from '../auth/caller';
import { ValidationException } from '../errors';
import type { Principal } from '../auth/principal';
import type { RequestFacts } from '../policy/request-keys';
import type { EncryptionContext } from '../wire/encryption-context';

/**
 * Grants: delegations of named operations on one key to one grantee,
 * optionally constrained to an encryption context. They are stored and
 * checked inside the key's Durable Object, so creating, retiring or revoking
 * a grant takes effect for the very next request.
 */
export const GRANT_OPERATIONS = [
  'Decrypt',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'ReEncryptFrom',
  'ReEncryptTo',
  'Sign',
  'Verify',
  'GetPublicKey',
  'GenerateMac',
  'VerifyMac',
  'DescribeKey',
  'CreateGrant',
  'RetireGrant',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'DeriveSharedSecret',
] as const;
export type GrantOperation = (typeof GRANT_OPERATIONS)[number];

/** Operations whose requests carry an encryption context: the ones a constraint speaks about. */
const CONTEXT_REQUESTS = new Set<string>([
  'Decrypt',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'ReEncryptFrom',
  'ReEncryptTo',
]);
/** A constrained grant may also include these, which the constraint leaves alone (as in AWS KMS). */
const CONSTRAINT_COMPATIBLE = new Set<string>([...CONTEXT_REQUESTS, 'DescribeKey', 'CreateGrant', 'RetireGrant']);

/** An encryption context constraint: the request's context must contain `contextSubset`, or be `contextEquals`. */
export interface GrantConstraints {
  contextSubset?: EncryptionContext;
  contextEquals?: EncryptionContext;
}

/** A grant as the key keeps it (operations/shapes.ts writes AWS's Grant shapes from it). */
export interface Grant {
  grantId: string;
  token: string;
  /** The idempotency name CreateGrant was given, if any. */
  name?: string;
  /** The ARN of the key. */
  keyArn: string;
  grantee: string;
  retiringPrincipal?: string;
  /** The root ARN of the account that created it. */
  issuingAccount: string;
  operations: GrantOperation[];
  constraints?: GrantConstraints;
  /** Epoch milliseconds. */
  createdAt: number;
}

export function checkGrantRequest(operations: readonly string[], constraints: GrantConstraints | undefined): void {
  if (!constraints) return;
  if (constraints.contextEquals && constraints.contextSubset) {
    throw new ValidationException('Specify EncryptionContextEquals or EncryptionContextSubset, not both.');
  }
  // An empty map constrains nothing, yet it would name a kms:GrantConstraintType that a policy may require.
  for (const [name, context] of [['EncryptionContextSubset', constraints.contextSubset], ['EncryptionContextEquals', constraints.contextEquals]] as const) {
    if (context !== undefined && Object.keys(context).length === 0) {
      throw new ValidationException(`${name} must contain at least one encryption context pair.`);
    }
  }
  const unsupported = operations.filter((operation) => !CONSTRAINT_COMPATIBLE.has(operation));
  if (unsupported.length > 0) {
    throw new ValidationException(`Encryption context constraints do not apply to ${unsupported.join(', ')}.`);
  }
}

function sameContext(a: EncryptionContext, b: EncryptionContext): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && b[key] === a[key]);
}

function contextAllowed(constraints: GrantConstraints | undefined, operation: string, context: EncryptionContext | undefined): boolean {
  if (!constraints) return true;
  // Operations without an encryption context in their request are not constrained by one.
  if (!CONTEXT_REQUESTS.has(operation)) return true;
  const given = context ?? {};
  if (constraints.contextEquals) return sameContext(constraints.contextEquals, given);
  const subset = constraints.contextSubset ?? {};
  return Object.entries(subset).every(([key, value]) => Object.hasOwn(given, key) && given[key] === value);
}

/**
 * Grant principals are exact ARNs, never patterns: the account root (its
 * administrators), a role (identities holding it), or one identity.
 */
export const GRANT_PRINCIPAL = /^arn:aws:(?:iam::\d{12}:(?:root|role\/[\w+=,.@/-]{1,128}|user\/[\w+=,.@/-]{1,128})|sts::\d{12}:(?:federated-user|assumed-role)\/[\w+=,.@/|:-]{1,200})$/;

function namesPrincipal(arn: string, principal: Principal): boolean {
  const root = /^arn:aws:iam::(\d{12}):root$/.exec(arn);
  if (root) return principal.isAccountAdmin && principal.account === root[1];
  const role = /^arn:aws:iam::(\d{12}):role\/(.+)$/.exec(arn);
  if (role) return principal.account === role[1] && principal.roles.includes(role[2]!);
  return arn === principal.arn;
}

export function isGrantee(grant: Grant, caller: Caller): boolean {
  return namesPrincipal(grant.grantee, caller.principal);
}

export function isRetiringPrincipal(grant: Grant, caller: Caller): boolean {
  return grant.retiringPrincipal !== undefined && namesPrincipal(grant.retiringPrincipal, caller.principal);
}

/** The grant, if any, that lets the caller perform `action` (`kms:<Operation>`) with these facts. */
export function findGrant(grants: Iterable<Grant>, caller: Caller, action: string, facts: RequestFacts): Grant | undefined {
  const operation = action.replace(/^kms:/, '');
  for (const grant of grants) {
    if (
      (grant.operations as string[]).includes(operation) &&
      isGrantee(grant, caller) &&
      contextAllowed(grant.constraints, operation, facts.encryptionContext)
    ) {
      return grant;
    }
  }
  return undefined;
}

/** A grant made under another grant may only narrow it: fewer operations, the same constraints. */
export function narrows(parent: Grant, operations: readonly string[], constraints: GrantConstraints | undefined): boolean {
  const subset = operations.every((operation) => (parent.operations as string[]).includes(operation));
  return subset && JSON.stringify(parent.constraints ?? null) === JSON.stringify(constraints ?? null);
}

/** Grant tokens name their key and grant, so RetireGrant needs nothing else. */
export function makeGrantToken(keyId: string, grantId: string): string {
  const nonce = crypto.getRandomValues(new Uint8Array(16)).toBase64({ alphabet: 'base64url', omitPadding: true });
  return new TextEncoder().encode(`${keyId}/${grantId}/${nonce}`).toBase64({ alphabet: 'base64url', omitPadding: true });
}

export function parseGrantToken(token: string): { keyId: string; grantId: string } | undefined {
  try {
    const [keyId, grantId, nonce] = new TextDecoder().decode(Uint8Array.fromBase64(token, { alphabet: 'base64url' })).split('/');
    return keyId && grantId && nonce ? { keyId, grantId } : undefined;
  } catch {
    return undefined;
  }
}
