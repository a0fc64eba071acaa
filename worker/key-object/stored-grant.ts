import type { Grant, GrantConstraints, GrantOperation } from './grants';

/**
 * Grants as earlier releases stored them: in AWS's Grant shape (the grant
 * table's bodies, the `grant:` key-value entries before it, and the
 * Directory's retirable-grant index, which also left out the token and wrote
 * CreationDate in seconds). Those rows are never rewritten, so every read of
 * a stored grant goes through here; what this release writes is already a
 * domain Grant and passes unchanged.
 */
export interface AwsShapedGrant {
  GrantId: string;
  GrantToken?: string;
  Name?: string;
  KeyId: string;
  GranteePrincipal: string;
  RetiringPrincipal?: string;
  IssuingAccount: string;
  Operations: GrantOperation[];
  Constraints?: { EncryptionContextSubset?: Record<string, string>; EncryptionContextEquals?: Record<string, string> };
  CreationDate: number;
}

/** A grant in the Directory's index: everything but its token, which only the key keeps. */
export type RetirableGrant = Omit<Grant, 'token'>;

function fromAwsShape(old: AwsShapedGrant, creationDateUnit: 'milliseconds' | 'seconds'): RetirableGrant & { token?: string } {
  const constraints: GrantConstraints | undefined = old.Constraints && {
    ...(old.Constraints.EncryptionContextSubset !== undefined && { contextSubset: old.Constraints.EncryptionContextSubset }),
    ...(old.Constraints.EncryptionContextEquals !== undefined && { contextEquals: old.Constraints.EncryptionContextEquals }),
  };
  return {
    grantId: old.GrantId,
    ...(old.GrantToken !== undefined && { token: old.GrantToken }),
    keyArn: old.KeyId,
    grantee: old.GranteePrincipal,
    issuingAccount: old.IssuingAccount,
    operations: old.Operations,
    createdAt: creationDateUnit === 'seconds' ? Math.round(old.CreationDate * 1000) : old.CreationDate,
    ...(old.Name !== undefined && { name: old.Name }),
    ...(old.RetiringPrincipal !== undefined && { retiringPrincipal: old.RetiringPrincipal }),
    ...(constraints !== undefined && { constraints }),
  };
}

const isAwsShaped = (stored: object): stored is AwsShapedGrant => 'GrantId' in stored;

/** A grant the key stored, in either shape (the key's stores kept CreationDate in milliseconds). */
export function readStoredGrant(stored: Grant | AwsShapedGrant): Grant {
  return isAwsShaped(stored) ? (fromAwsShape(stored, 'milliseconds') as Grant) : stored;
}

/** A Directory index entry, in either shape. */
export function readRetirableGrant(stored: RetirableGrant | AwsShapedGrant): RetirableGrant {
  if (!isAwsShaped(stored)) return stored;
  const { token: _none, ...entry } = fromAwsShape(stored, 'seconds');
  return entry;
}
