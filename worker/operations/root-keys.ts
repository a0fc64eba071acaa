import { z } from 'zod';
import { rootKeys } from '../crypto/root-keys';
import { KMSInvalidStateException } from '../errors';
import { unwrap } from '../result';
import { auditLog, directory } from '../stubs';
import { requireIdentityAllows } from './account-access';
import { callerScope, keyHandle } from './context';
import { defineOperation } from './operation';
import { limit, marker } from './schema';

/**
 * Root key rotation, as the account's administrator runs it (EdgeKMS
 * extensions; docs/operations.md has the runbook). Both walk a page of the
 * account's keys at a time: a page's keys are woken, which starts the
 * re-seal of any that has not started (key-object.ts), and report or retire.
 */

const rootKeyId = z.number().int().min(1).max(999_999_999);

/** The re-seal's progress over a page of keys: how many key versions each root seals, and the keys not done. */
export const GetRootKeyStatus = defineOperation({
  input: z.object({ Limit: limit, Marker: marker }),
  async run(input, ctx) {
    requireIdentityAllows(ctx, 'kms:GetRootKeyStatus');
    const roots = rootKeys(ctx.env);
    // External key store credentials are sealed too (directory/key-stores.ts): moved with the first page.
    if (input.Marker === undefined) unwrap(await directory(ctx.env, callerScope(ctx)).resealKeyStores());
    const page = unwrap(await directory(ctx.env, callerScope(ctx)).listKeys(input.Limit ?? 100, input.Marker));
    const sealed = new Map<number, number>(roots.ids.map((id) => [id, 0]));
    let pending = 0;
    for (const keyId of page.items) {
      const status = unwrap(await keyHandle(ctx, keyId).rootKeyStatus());
      const counts = Object.entries(status.sealed).map(([root, count]) => [Number(root), count] as const);
      for (const [root, count] of counts) sealed.set(root, (sealed.get(root) ?? 0) + count);
      if (counts.some(([root, count]) => root !== roots.newest && count > 0)) pending++;
    }
    return {
      RootKeys: [...sealed.entries()]
        .sort(([a], [b]) => a - b)
        .map(([id, count]) => ({ RootKeyId: id, Newest: id === roots.newest, Configured: roots.secret(id) !== undefined, SealedKeyVersions: count })),
      KeysReported: page.items.length,
      KeysPendingReseal: pending,
      ...(page.nextMarker ? { NextMarker: page.nextMarker, Truncated: true } : { Truncated: false }),
    };
  },
});

/**
 * Retires a root for a page of keys: each key refuses while any of its
 * versions is sealed under it (versions.ts), and the first refusal is the
 * answer, naming the key. Once every page has succeeded nothing in the
 * account is sealed under the root, and its secret may leave MASTER_KEYS.
 */
export const RetireRootKey = defineOperation({
  input: z.object({ RootKeyId: rootKeyId, Limit: limit, Marker: marker }),
  async run(input, ctx) {
    requireIdentityAllows(ctx, 'kms:RetireRootKey');
    // The account's receipt signing key (audit/receipt-signer.ts) and key store credentials are sealed under a root too.
    if (input.Marker === undefined) {
      unwrap(await auditLog(ctx.env, callerScope(ctx)).resealReceiptKey());
      unwrap(await directory(ctx.env, callerScope(ctx)).resealKeyStores());
    }
    const page = unwrap(await directory(ctx.env, callerScope(ctx)).listKeys(input.Limit ?? 100, input.Marker));
    for (const keyId of page.items) {
      const result = await keyHandle(ctx, keyId).retireRootKey(input.RootKeyId);
      if (result.error?.name === 'KMSInvalidStateException') throw new KMSInvalidStateException(`Key ${keyId}: ${result.error.message}`);
      unwrap(result);
    }
    return {
      RootKeyId: input.RootKeyId,
      KeysRetired: page.items.length,
      ...(page.nextMarker ? { NextMarker: page.nextMarker, Truncated: true } : { Truncated: false }),
    };
  },
});
