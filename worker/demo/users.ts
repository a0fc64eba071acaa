/**
 * The demo's sign-in roster. Fixed names, so that key policies written by the
 * page (one per user, naming that user's ARN) mean the same thing on every
 * machine, and so that demo sign-in can never mint a token for an arbitrary
 * subject such as an administrator's.
 */
export interface DemoUser {
  name: string;
  displayName: string;
}

export const DEMO_USERS: readonly DemoUser[] = [
  { name: 'alice', displayName: 'Alice' },
  { name: 'bob', displayName: 'Bob' },
];

export function findDemoUser(name: unknown): DemoUser | undefined {
  return DEMO_USERS.find((user) => user.name === name);
}

/** The principal ARN that authenticateJwt derives from a demo user's token. */
export function demoUserArn(account: string, user: DemoUser): string {
  return `arn:aws:sts::${account}:federated-user/${user.name}`;
}
