import type { Principal } from '../auth/principal';
import type { Bindings } from '../env';
import { demoModeOn } from './gate';
import { DEMO_USERS, demoUserArn } from './users';

/** The alias the demo page gives a user's key (`aliasOf` in demo/src/key-panel.ts). */
export const demoAliasName = (user: string) => `alias/demo-${user}`;

/**
 * Whether `aliasName` is the calling demo user's own demo alias. Only with
 * DEMO_MODE exactly "1", and only the user's own name: a demo user may
 * manage `alias/demo-<their name>` without being an account administrator,
 * and no other alias that way.
 */
export function isOwnDemoAlias(env: Bindings, principal: Principal, aliasName: string): boolean {
  if (!demoModeOn(env) || principal.kind !== 'jwt') return false;
  return DEMO_USERS.some((user) => principal.arn === demoUserArn(env.KMS_ACCOUNT_ID, user) && aliasName === demoAliasName(user.name));
}
