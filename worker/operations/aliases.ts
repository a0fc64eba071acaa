import { z } from 'zod';
import { AlreadyExistsException, NotAuthorizedException, ValidationException } from '../errors';
import { unwrap, type Result } from '../result';
import { aliasArn, isAliasName, parseKeyReference } from '../wire/key-reference';
import { requireIdentityAllows } from './account-access';
import { requireAliasAccess } from './alias-access';
import { callerScope, keyInAccount, resolveReference, resolveKeyId, type OperationContext } from './context';
import { directory } from '../stubs';
import { defineOperation } from './operation';
import { aliasListEntry, listPage } from './shapes';
import { aliasName, keyIdField, limit, marker } from './schema';

/** Aliases: friendly names, per account, that point at one key each. */

/**
 * AWS KMS's answers to an alias name that the model's pattern (checked by the
 * schema) lets through: the `alias/` prefix is missing, a character the
 * pattern allows is not allowed in an alias (`:`), or the name is under the
 * prefix AWS reserves for its own keys (NotAuthorizedException, no message).
 */
function checkAliasName(name: string): void {
  if (!name.startsWith('alias/')) throw new ValidationException('Invalid identifier');
  if (!isAliasName(name)) throw new ValidationException(`${name} contains invalid characters for an alias`);
  if (name.startsWith('alias/aws/')) throw new NotAuthorizedException('');
}

/** An alias points at a key, never at another alias (which AWS KMS refuses as invalid input, not as unknown). */
function checkTarget(reference: string): void {
  let named: ReturnType<typeof parseKeyReference> | undefined;
  try {
    named = parseKeyReference(reference);
  } catch {
    return; // Not a reference at all: resolving it answers NotFoundException.
  }
  if (named.kind === 'alias') throw new ValidationException('Aliases must refer to keys. Not aliases');
}

/** AWS KMS names the alias that exists by its ARN. */
function namingTheArn(ctx: OperationContext, aliasName: string, result: Result<void>): Result<void> {
  if (result.error?.name !== 'AlreadyExistsException') return result;
  throw new AlreadyExistsException(`An alias with the name ${aliasArn(callerScope(ctx), aliasName)} already exists`);
}

/**
 * The key must be named by id or ARN (not another alias), and the caller must
 * be allowed `action` on it. The request is audited in the account's chain,
 * naming the key, once the Directory step has its outcome.
 */
async function admitKey(ctx: OperationContext, reference: string, action: string, requirement: 'notPendingDeletion' | 'exists'): Promise<string> {
  const { keyId, account } = await resolveReference(ctx, reference, { aliases: false });
  ctx.audit.keyId = keyId;
  const { key, caller } = await keyInAccount(ctx, keyId, account);
  unwrap(await key.admitAction(caller, action, requirement));
  return keyId;
}

export const CreateAlias = defineOperation({
  input: z.object({ AliasName: aliasName, TargetKeyId: keyIdField }),
  async run(input, ctx) {
    checkAliasName(input.AliasName);
    checkTarget(input.TargetKeyId);
    requireAliasAccess(ctx, input.AliasName, 'kms:CreateAlias');
    const keyId = await admitKey(ctx, input.TargetKeyId, 'kms:CreateAlias', 'notPendingDeletion');
    unwrap(namingTheArn(ctx, input.AliasName, await directory(ctx.env, ctx.principal.account).createAlias(input.AliasName, keyId)));
  },
});

export const UpdateAlias = defineOperation({
  input: z.object({ AliasName: aliasName, TargetKeyId: keyIdField }),
  async run(input, ctx) {
    checkAliasName(input.AliasName);
    checkTarget(input.TargetKeyId);
    requireAliasAccess(ctx, input.AliasName, 'kms:UpdateAlias');
    // The key the alias leaves must be the caller's to re-point, too.
    const current = await resolveKeyId(ctx, input.AliasName);
    await admitKey(ctx, current, 'kms:UpdateAlias', 'exists');
    const keyId = await admitKey(ctx, input.TargetKeyId, 'kms:UpdateAlias', 'notPendingDeletion');
    unwrap(await directory(ctx.env, ctx.principal.account).updateAlias(input.AliasName, keyId));
  },
});

export const DeleteAlias = defineOperation({
  input: z.object({ AliasName: aliasName }),
  async run(input, ctx) {
    checkAliasName(input.AliasName);
    requireAliasAccess(ctx, input.AliasName, 'kms:DeleteAlias');
    await admitKey(ctx, await resolveKeyId(ctx, input.AliasName), 'kms:DeleteAlias', 'exists');
    unwrap(await directory(ctx.env, ctx.principal.account).deleteAlias(input.AliasName));
  },
});

export const ListAliases = defineOperation({
  input: z.object({ KeyId: keyIdField.optional(), Limit: limit, Marker: marker }),
  async run(input, ctx) {
    requireIdentityAllows(ctx, 'kms:ListAliases');
    const keyId = input.KeyId === undefined ? undefined : await resolveKeyId(ctx, input.KeyId, { aliases: false });
    const page = unwrap(await directory(ctx.env, ctx.principal.account).listAliases(keyId, input.Limit ?? 100, input.Marker));
    const scope = callerScope(ctx);
    return listPage('Aliases', page, (alias) => aliasListEntry(scope, alias));
  },
});
