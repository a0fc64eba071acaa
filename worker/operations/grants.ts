import { z } from 'zod';
import { NotFoundException, ValidationException } from '../errors';
import { grantFacts } from '../key-object/grant-actions';
import { GRANT_OPERATIONS, GRANT_PRINCIPAL, parseGrantToken } from '../key-object/grants';
import { unwrap } from '../result';
import { keyInAccount, onKey, resolveKey } from './context';
import { refuseDryRun } from './dry-run';
import { requireIdentityAllows } from './account-access';
import { directory } from '../stubs';
import { defineOperation } from './operation';
import { grantConstraints, grantListEntry, listPage } from './shapes';
import { dryRun, encryptionContext, grantTokens, keyIdField, limit, marker } from './schema';

/** Grants: CreateGrant, ListGrants, RetireGrant, RevokeGrant, ListRetirableGrants. */

const principalField = z.string().min(1).max(256);
const grantPrincipal = principalField.regex(GRANT_PRINCIPAL, 'Member must be an IAM or STS principal ARN, without wildcards');
const grantId = z.string().min(1).max(128);
const grantToken = z.string().min(1).max(8192);

export const CreateGrant = defineOperation({
  input: z.object({
    KeyId: keyIdField,
    GranteePrincipal: grantPrincipal,
    RetiringPrincipal: grantPrincipal.optional(),
    Operations: z.array(z.enum(GRANT_OPERATIONS)).min(1),
    Constraints: z
      .object({ EncryptionContextSubset: encryptionContext, EncryptionContextEquals: encryptionContext })
      .optional(),
    GrantTokens: grantTokens,
    Name: z.string().min(1).max(256).regex(/^[a-zA-Z0-9:/_-]+$/).optional(),
    DryRun: dryRun,
  }),
  async run(input, ctx) {
    const request = {
      granteePrincipal: input.GranteePrincipal,
      operations: [...new Set(input.Operations)],
      ...(input.RetiringPrincipal !== undefined && { retiringPrincipal: input.RetiringPrincipal }),
      ...(input.Constraints !== undefined && { constraints: grantConstraints(input.Constraints) }),
      ...(input.Name !== undefined && { name: input.Name }),
    };
    if (input.DryRun) return refuseDryRun(await resolveKey(ctx, input.KeyId, { aliases: false }), 'kms:CreateGrant', grantFacts(request));
    const { grantId, grantToken } = unwrap(await onKey(ctx, input.KeyId, (key, caller) => key.createGrant(caller, request)));
    return { GrantId: grantId, GrantToken: grantToken };
  },
});

export const ListGrants = defineOperation({
  input: z.object({
    KeyId: keyIdField,
    Limit: limit,
    Marker: marker,
    GrantId: grantId.optional(),
    GranteePrincipal: principalField.optional(),
  }),
  run: async (input, ctx) =>
    listPage('Grants', unwrap(
      await onKey(ctx, input.KeyId, (key, caller) =>
        key.listGrants(
          caller,
          {
            ...(input.GrantId !== undefined && { grantId: input.GrantId }),
            ...(input.GranteePrincipal !== undefined && { granteePrincipal: input.GranteePrincipal }),
          },
          input.Limit,
          input.Marker,
        ),
      ),
    ), grantListEntry),
});

export const RetireGrant = defineOperation({
  input: z.object({ GrantToken: grantToken.optional(), KeyId: keyIdField.optional(), GrantId: grantId.optional(), DryRun: dryRun }),
  async run(input, ctx) {
    const fromToken = input.GrantToken === undefined ? undefined : parseGrantToken(input.GrantToken);
    if (input.GrantToken !== undefined && !fromToken) throw new NotFoundException('The grant token is not valid.');
    if (!fromToken && (input.KeyId === undefined || input.GrantId === undefined)) {
      throw new ValidationException('Specify GrantToken, or both KeyId and GrantId.');
    }
    const id = fromToken?.grantId ?? input.GrantId!;
    if (fromToken && input.GrantId !== undefined && input.GrantId !== id) {
      throw new ValidationException('GrantId does not match the grant token.');
    }
    if (fromToken) {
      const { key, caller } = await keyInAccount(ctx, fromToken.keyId);
      unwrap(await key.retireGrant(caller, id, input.GrantToken, input.DryRun));
    } else {
      unwrap(await onKey(ctx, input.KeyId!, (key, caller) => key.retireGrant(caller, id, input.GrantToken, input.DryRun)));
    }
  },
});

export const RevokeGrant = defineOperation({
  input: z.object({ KeyId: keyIdField, GrantId: grantId, DryRun: dryRun }),
  async run(input, ctx) {
    if (input.DryRun) return refuseDryRun(await resolveKey(ctx, input.KeyId, { aliases: false }), 'kms:RevokeGrant', undefined, undefined, 'exists');
    unwrap(await onKey(ctx, input.KeyId, (key, caller) => key.revokeGrant(caller, input.GrantId)));
  },
});

export const ListRetirableGrants = defineOperation({
  input: z.object({ RetiringPrincipal: principalField, Limit: limit, Marker: marker }),
  async run(input, ctx) {
    // Listing the grants one may retire oneself needs no policy; anyone else's, kms:ListRetirableGrants (an identity policy's).
    if (ctx.principal.arn !== input.RetiringPrincipal) requireIdentityAllows(ctx, 'kms:ListRetirableGrants');
    const page = unwrap(
      await directory(ctx.env, ctx.principal.account).listRetirableGrants(input.RetiringPrincipal, input.Limit ?? 100, input.Marker),
    );
    return listPage('Grants', page, grantListEntry);
  },
});
