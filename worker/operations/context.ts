import type { RequestAudit } from '../audit/request-note';
import type { Caller } from '../auth/caller';
import type { Principal } from '../auth/principal';
import type { Bindings } from '../env';
import { NotFoundException } from '../errors';
import { recordedBy, unwrap } from '../result';
import { directory, keyObject } from '../stubs';
import { aliasArn, parseKeyReference, type ArnScope } from '../wire/key-reference';
import { requireCreatedKey } from './known-keys';
import { callReplica, REPLICATED_METHODS } from './replica-route';

/** What every operation receives besides its input: who asks, and the Worker's bindings. */
export interface OperationContext {
  env: Bindings;
  /** The region the request acts in (app-env.ts says how each protocol picks it): its keys and aliases are that region's. */
  region: string;
  caller: Caller;
  /** The verified identity, `caller.principal`. */
  principal: Principal;
  /** Where the request's audit record is: the key handles below note it when a key's chain recorded the request. */
  audit: RequestAudit;
}

export function callerScope(ctx: OperationContext): ArnScope {
  return { region: ctx.region, account: ctx.principal.account };
}

export async function resolveKeyId(
  ctx: OperationContext,
  reference: string,
  options: { aliases?: boolean } = {},
): Promise<string> {
  return (await resolveReference(ctx, reference, options)).keyId;
}

/**
 * A key reference resolves within one account: the account its ARN names, or
 * else the caller's own. That account's Directory does not know a key of
 * another account (keyInAccount refuses it, NotFoundException), and the
 * key's object refuses it too, so a bare key id or an ARN with the wrong
 * account never reaches someone else's key. That refusal is the same
 * as for a key that does not exist, and, like it, is recorded in the caller's
 * account chain, never in the other account's key chain.
 *
 * It resolves within the request's region too: an ARN that names another
 * region is refused as AWS KMS refuses it (NotFoundException "Invalid arn
 * <region>"), and a key id or alias is looked up in the request region's
 * Directory only, so a key is never visible from another region.
 */
export async function resolveReference(
  ctx: OperationContext,
  reference: string,
  { aliases = true }: { aliases?: boolean },
): Promise<{ keyId: string; account: string; aliasName?: string }> {
  const parsed = parseKeyReference(reference);
  if (parsed.region !== undefined && parsed.region !== ctx.region) throw new NotFoundException(`Invalid arn ${parsed.region}`);
  const account = parsed.account ?? ctx.principal.account;
  if (parsed.kind === 'key') return { keyId: parsed.keyId, account };
  // AWS KMS's wording: an alias where only a key will do is an invalid key id; an unknown alias is named by its ARN.
  if (!aliases) throw new NotFoundException(`Invalid keyId ${reference}`);
  const keyId = await directory(ctx.env, { account, region: ctx.region }).resolveAlias(parsed.aliasName);
  if (keyId === undefined) throw new NotFoundException(`Alias ${aliasArn({ region: ctx.region, account }, parsed.aliasName)} is not found.`);
  return { keyId, account, aliasName: parsed.aliasName };
}

type KeyStub = ReturnType<typeof keyObject>;

/**
 * The key's object in the request's region, as operations call it: each result it returns that says
 * the key's chain recorded the request (`audited`) is noted in `ctx.audit`,
 * so the audit middleware does not record the request a second time.
 */
export function keyHandle(ctx: OperationContext, keyId: string): KeyStub {
  // Made on first use: a cryptographic request may go to a replica's object instead (and the bench counts objects addressed).
  let stub: KeyStub | undefined;
  const keyStub = () => (stub ??= keyObject(ctx.env, ctx.region, keyId));
  return new Proxy({} as KeyStub, {
    get(_target, name) {
      // Cryptographic requests go to any of a hot key's replicas (replica-route.ts).
      if (typeof name === 'string' && REPLICATED_METHODS.has(name)) {
        return async (...args: unknown[]) => recordedBy(await callReplica(ctx.env, ctx.region, keyId, name, args), ctx.audit);
      }
      const target = keyStub();
      const property = Reflect.get(target, name) as unknown;
      // `then` stays the stub's own, so that the handle is never mistaken for a promise.
      if (typeof property !== 'function' || typeof name !== 'string' || name === 'then') return property;
      // Called on the stub by name: an RPC method is no ordinary function (it has no `apply`).
      const methods = target as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
      return async (...args: unknown[]) => recordedBy(await methods[name]!(...args), ctx.audit);
    },
  });
}

/**
 * The key's object, and the caller scoped to the account the reference named
 * and the request's region. Only for a key that was created in that account
 * and region: any other key id is refused before its object is addressed
 * (known-keys.ts says why).
 */
export async function keyInAccount(ctx: OperationContext, keyId: string, account = ctx.principal.account, requestAlias?: string) {
  await requireCreatedKey(ctx.env, { account, region: ctx.region }, keyId);
  const caller: Caller = { ...ctx.caller, keyAccount: account, ...(requestAlias !== undefined && { requestAlias }) };
  if (readsResourceAliases(caller)) caller.resourceAliases = await aliasesOf(ctx, account, keyId);
  return { keyId, key: keyHandle(ctx, keyId), caller };
}

export async function resolveKey(ctx: OperationContext, reference: string, options: { aliases?: boolean } = {}) {
  const { keyId, account, aliasName } = await resolveReference(ctx, reference, options);
  return keyInAccount(ctx, keyId, account, aliasName);
}

/**
 * `kms:ResourceAliases` costs a Directory read, so only a request whose
 * identity policies name it pays for it. As in AWS KMS, where alias changes
 * reach authorization eventually, the list is read before the key's object
 * decides, not inside its decision. A key policy that names the key is
 * evaluated without it (docs/api.md says so).
 */
const RESOURCE_ALIASES = 'kms:resourcealiases';

function readsResourceAliases(caller: Caller): boolean {
  return (caller.identityPolicies ?? []).some((policy) =>
    policy.statements.some((statement) => statement.conditions.some((clause) => clause.key === RESOURCE_ALIASES)),
  );
}

async function aliasesOf(ctx: OperationContext, account: string, keyId: string): Promise<string[]> {
  // A key has at most 50 aliases in AWS KMS; one page of them is all of them.
  const page = unwrap(await directory(ctx.env, { account, region: ctx.region }).listAliases(keyId, 50, undefined));
  return page.items.map((alias) => alias.aliasName);
}

/** Management operations take a key id or key ARN only; AWS KMS refuses aliases there. */
export async function onKey<T>(
  ctx: OperationContext,
  reference: string,
  call: (key: ReturnType<typeof keyObject>, caller: Caller) => Promise<T>,
): Promise<T> {
  const { key, caller } = await resolveKey(ctx, reference, { aliases: false });
  return call(key, caller);
}
