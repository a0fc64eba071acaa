/**
 * The signed-in demo user. The token lives in this module's memory only (not in storage a script
 * injected later could read, and gone with the tab).
 */

export interface Session {
  readonly user: string;
  readonly displayName: string;
  /** The ARN the service sees, which the key policy names. */
  readonly principal: string;
  readonly account: string;
  readonly token: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

/** The page's own check, before a request is sent with a token it knows is stale. */
export class SessionExpiredError extends Error {
  override name = 'SessionExpiredError';
}

export class SignedOutError extends Error {
  override name = 'SignedOutError';
}

let current: Session | undefined;

export function startSession(session: Session): void {
  current = session;
}

export function endSession(): void {
  current = undefined;
}

export function session(): Session {
  if (!current) throw new SignedOutError('You are signed out.');
  return current;
}

export function isSignedIn(): boolean {
  return current !== undefined;
}

/** For the client's getToken: called before every request. */
export function currentToken(): string {
  const { token, expiresAt } = session();
  if (Date.now() / 1000 >= expiresAt) throw new SessionExpiredError('Your sign-in has expired.');
  return token;
}
