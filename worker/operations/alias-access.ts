import { aliasArn } from '../wire/key-reference';
import { requireIdentityAllows } from './account-access';
import { callerScope, type OperationContext } from './context';

/**
 * The alias half of AWS KMS's rule for CreateAlias, UpdateAlias and
 * DeleteAlias: the caller needs the action on the alias ARN itself, which
 * only identity policies can give (an alias has no policy of its own), as
 * well as on each key involved (the key policy). Without it, anyone allowed
 * kms:CreateAlias on a key of their own could claim a shared name such as
 * `alias/payments` and receive what others encrypt under it.
 */
export function requireAliasAccess(ctx: OperationContext, aliasName: string, action: string): void {
  requireIdentityAllows(ctx, action, aliasArn(callerScope(ctx), aliasName));
}
