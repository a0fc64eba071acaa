import { isOwnDemoAlias } from '../demo/own-alias';
import { AccessDeniedException } from '../errors';
import { aliasArn } from '../wire/key-reference';
import { callerScope, type OperationContext } from './context';

/**
 * The alias half of AWS KMS's rule for CreateAlias, UpdateAlias and
 * DeleteAlias: the caller needs the action on the alias itself (in AWS, an
 * identity-policy decision) as well as on each key involved (the key
 * policy). Without it, anyone allowed kms:CreateAlias on a key of their own
 * could claim a shared name such as `alias/payments` and receive what others
 * encrypt under it. EdgeKMS has no identity policies yet, so an alias name is
 * for the account's administrators to give out; the one exception is the
 * demo user's own `alias/demo-<user>` in demo mode (worker/demo/own-alias.ts).
 */
export function requireAliasAccess(ctx: OperationContext, aliasName: string, action: string): void {
  if (ctx.principal.isAccountAdmin || isOwnDemoAlias(ctx.env, ctx.principal, aliasName)) return;
  throw new AccessDeniedException(`${ctx.principal.arn} is not authorized to perform ${action} on ${aliasArn(callerScope(ctx), aliasName)}.`);
}
