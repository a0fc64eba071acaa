/**
 * A verified caller. Every operation takes one; how it was verified (admin
 * token, JWT, SigV4) is recorded but never changes what the policy sees.
 */
export interface Principal {
  account: string;
  /** An ARN-like identity, e.g. `arn:aws:iam::111122223333:root`. */
  arn: string;
  kind: 'admin' | 'jwt' | 'sigv4';
  claims: Record<string, unknown>;
}
