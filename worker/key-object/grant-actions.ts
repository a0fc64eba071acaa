import type { Caller } from '../auth/caller';
import { AccessDeniedException, NotFoundException } from '../errors';
import type { RequestFacts } from '../policy/request-keys';
import { decide } from './authorize';
import type { GrantStore } from './grant-store';
import {
  checkGrantRequest,
  isGrantee,
  isRetiringPrincipal,
  makeGrantToken,
  narrows,
  type Grant,
  type GrantConstraints,
  type GrantOperation,
} from './grants';
import { recordArn, type KeyRecord } from './key-record';
import { GRANTS_PER_KEY, requireWithinQuota } from './quotas';

/** CreateGrant, RetireGrant and RevokeGrant on the key's grant store, once the caller is authorized. */

export interface CreateGrantRequest {
  granteePrincipal: string;
  retiringPrincipal?: string;
  operations: GrantOperation[];
  constraints?: GrantConstraints;
  name?: string;
}

/** The policy condition keys of a CreateGrant request. */
export function grantFacts(request: CreateGrantRequest): RequestFacts {
  return {
    'kms:GrantOperations': request.operations,
    'kms:GranteePrincipal': request.granteePrincipal,
    'kms:RetiringPrincipal': request.retiringPrincipal,
    'kms:GrantConstraintType': request.constraints?.contextEquals
      ? 'EncryptionContextEquals'
      : request.constraints?.contextSubset
        ? 'EncryptionContextSubset'
        : undefined,
  };
}

/**
 * The grant the request asks for: an existing one with the same name and
 * terms (CreateGrant is idempotent by name), or a new one, `created`. A
 * caller allowed by a grant (`parent`) may only narrow it.
 */
export function issueGrant(
  store: GrantStore,
  record: KeyRecord,
  caller: Caller,
  request: CreateGrantRequest,
  parent: Grant | undefined,
): { grant: Grant; created: boolean } {
  checkGrantRequest(request.operations, request.constraints);
  if (parent && !narrows(parent, request.operations, request.constraints)) {
    throw new AccessDeniedException('A grant can only create grants for a subset of its own operations and constraints.');
  }
  const same = (request.name === undefined ? [] : store.named(request.granteePrincipal, request.name)).find(
    (grant) =>
      JSON.stringify([grant.operations, grant.constraints ?? null, grant.retiringPrincipal ?? null]) ===
      JSON.stringify([request.operations, request.constraints ?? null, request.retiringPrincipal ?? null]),
  );
  if (same) return { grant: same, created: false };
  requireWithinQuota('Grants per key', GRANTS_PER_KEY, store.count());
  const grantId = crypto.randomUUID().replaceAll('-', '');
  const grant: Grant = {
    grantId,
    token: makeGrantToken(record.keyId, grantId),
    keyArn: recordArn(record),
    grantee: request.granteePrincipal,
    issuingAccount: `arn:aws:iam::${caller.principal.account}:root`,
    operations: request.operations,
    createdAt: Date.now(),
    ...(request.name !== undefined && { name: request.name }),
    ...(request.retiringPrincipal !== undefined && { retiringPrincipal: request.retiringPrincipal }),
    ...(request.constraints !== undefined && { constraints: request.constraints }),
  };
  store.put(grant);
  return { grant, created: true };
}

/** The grant a RevokeGrant or RetireGrant names (and, with a token, the token matches). */
export function namedGrant(store: GrantStore, grantId: string, grantToken?: string): Grant {
  const grant = store.get(grantId);
  if (!grant || (grantToken !== undefined && grant.token !== grantToken)) {
    throw new NotFoundException(`Grant ${grantId} does not exist on this key.`);
  }
  return grant;
}

/**
 * RetireGrant: the retiring principal, a grantee whose grant includes
 * RetireGrant, or anyone the key policy allows kms:RetireGrant.
 */
export function requireRetirer(record: KeyRecord, grant: Grant, caller: Caller): void {
  const entitled =
    isRetiringPrincipal(grant, caller) ||
    (isGrantee(grant, caller) && grant.operations.includes('RetireGrant')) ||
    decide(caller, 'kms:RetireGrant', record).decision === 'Allow';
  if (!entitled) {
    throw new AccessDeniedException(`${caller.principal.arn} may not retire grant ${grant.grantId}.`);
  }
}
