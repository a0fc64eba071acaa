import { z } from 'zod';
import { InvalidAliasNameException } from '../errors';
import { unwrap } from '../result';
import { isAliasName } from '../wire/key-reference';
import { requireIdentityAllows } from './account-access';
import { requireAliasAccess } from './alias-access';
import { callerScope, keyInAccount, resolveReference, resolveKeyId, type OperationContext } from './context';
import { directory } from '../stubs';
import { defineOperation } from './operation';
import { aliasListEntry, listPage } from './shapes';
import { aliasName, keyIdField, limit, marker } from './schema';

/** Aliases: friendly names, per account, that point at one key each. */

function checkAliasName(name: string): void {
  if (!isAliasName(name)) {
    throw new InvalidAliasNameException(`Alias ${name} must match alias/[a-zA-Z0-9/_-]+.`);
  }
  if (name.startsWith('alias/aws/')) {
    throw new InvalidAliasNameException('Names beginning with alias/aws/ are reserved.');
  }
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
    requireAliasAccess(ctx, input.AliasName, 'kms:CreateAlias');
    const keyId = await admitKey(ctx, input.TargetKeyId, 'kms:CreateAlias', 'notPendingDeletion');
    unwrap(await directory(ctx.env, ctx.principal.account).createAlias(input.AliasName, keyId));
  },
});

export const UpdateAlias = defineOperation({
  input: z.object({ AliasName: aliasName, TargetKeyId: keyIdField }),
  async run(input, ctx) {
    checkAliasName(input.AliasName);
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
