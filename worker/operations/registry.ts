import * as aliases from './aliases';
import * as audit from './audit';
import * as cryptography from './cryptography';
import * as dataKeyPairs from './data-key-pairs';
import * as grants from './grants';
import * as identityPolicies from './identity-policies';
import * as keyAgreement from './key-agreement';
import * as keys from './keys';
import * as lastUsage from './last-usage';
import * as multiRegion from './multi-region';
import * as policies from './policies';
import type { Operation } from './operation';
import * as rootKeyOperations from './root-keys';
import * as rotation from './rotation';
import * as unsupported from './unsupported';

/** Every KMS operation the service offers, by its AWS name. Both protocol adapters dispatch here. */
export const OPERATIONS: Readonly<Record<string, Operation>> = Object.freeze({
  ...keys,
  ...aliases,
  ...cryptography,
  ...dataKeyPairs,
  ...keyAgreement,
  ...lastUsage,
  ...rotation,
  ...multiRegion,
  ...policies,
  ...grants,
  ...audit,
  ...identityPolicies,
  ...rootKeyOperations,
  ...unsupported,
}) as Record<string, Operation>;

export function findOperation(name: string): Operation | undefined {
  return Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name] : undefined;
}
