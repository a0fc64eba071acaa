import type { Bindings } from '../env';
import { forgetIdentityPolicies } from '../operations/identity-resolution';
import { unwrap } from '../result';
import { identityDirectory } from '../stubs';

/**
 * What a demo user may do besides what their own key's policy allows: create
 * keys, and create, re-point or delete only `alias/demo-<their sub>`; nothing
 * account-wide (no ListKeys, ListAliases or account audit). Any request that
 * names a key by another alias is refused outright, whatever that key's
 * policy says. Demo users are not administrators: the role below is all
 * they hold, and each key the page creates has a policy naming only its owner.
 */
export const DEMO_ROLE = 'edgekms-demo-user';
export const DEMO_ROLE_POLICY_NAME = 'edgekms-demo';

export const DEMO_ROLE_POLICY = JSON.stringify(
  {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'CreateOwnKeys', Effect: 'Allow', Action: 'kms:CreateKey', Resource: '*' },
      {
        Sid: 'OwnAliasOnly',
        Effect: 'Allow',
        Action: ['kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias'],
        Resource: 'arn:aws:kms:*:*:alias/demo-${jwt:sub}',
      },
      {
        Sid: 'NoOtherAlias',
        Effect: 'Deny',
        Action: 'kms:*',
        Resource: '*',
        Condition: { Null: { 'kms:RequestAlias': 'false' }, StringNotEquals: { 'kms:RequestAlias': 'alias/demo-${jwt:sub}' } },
      },
    ],
  },
  null,
  2,
);

/** Installs (or restores) the demo role's policy in the account; demo sign-in calls it before issuing a token. */
export async function installDemoRolePolicy(env: Bindings): Promise<void> {
  unwrap(await identityDirectory(env, env.KMS_ACCOUNT_ID).putIdentityPolicy('role', DEMO_ROLE, DEMO_ROLE_POLICY_NAME, DEMO_ROLE_POLICY));
  forgetIdentityPolicies(env.KMS_ACCOUNT_ID);
}
