import type { PolicyDocument } from '../policy/document';
import type { Principal } from './principal';

/** Facts about the request itself, for policy conditions and the audit trail. */
export interface RequestMeta {
  requestId: string;
  sourceIp?: string;
  userAgent?: string;
  /** Whether the request reached the Worker over HTTPS (its URL's scheme): `aws:SecureTransport`. Absent for the service's own events. */
  secureTransport?: boolean;
  /** The browser's `Origin` header, for the `edgekms:Origin` condition key (absent outside browsers). */
  origin?: string;
  /** Which protocol adapter took the request. */
  via: 'native' | 'aws';
}

/** Who is asking (verified) and how: the first argument of every operation on a key. */
export interface Caller {
  principal: Principal;
  request: RequestMeta;
  /** The account the request's key reference named (default: the principal's). */
  keyAccount?: string;
  /**
   * The identity policies attached to the principal's user and roles, parsed,
   * as the Worker read them from the account's Directory for this request
   * (operations/identity-resolution.ts). Absent means none.
   */
  identityPolicies?: readonly PolicyDocument[];
  /** The alias the request named its key by: `kms:RequestAlias`. */
  requestAlias?: string;
  /** The key's aliases, looked up only when an identity policy reads `kms:ResourceAliases`. */
  resourceAliases?: readonly string[];
}
