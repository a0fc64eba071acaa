/**
 * A verified caller. Every operation takes one; how it was verified (admin
 * token, JWT, SigV4) is recorded but never changes what the policy sees.
 */
export interface Principal {
  account: string;
  /** An ARN-like identity, e.g. `arn:aws:iam::111122223333:root`. */
  arn: string;
  kind: 'admin' | 'jwt' | 'sigv4';
  /** Verified claims of a JWT (empty for other kinds); policies read them as `${jwt:<claim>}`. */
  claims: Record<string, unknown>;
  /** Roles or groups the identity provider asserted. */
  roles: string[];
  /**
   * An administrator of `account`: the bootstrap token, or an identity holding
   * the configured admin role. Key policies name these as the account root.
   */
  isAccountAdmin: boolean;
}
