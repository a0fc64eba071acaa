import type { Caller } from '../auth/caller';
import type { Principal } from '../auth/principal';
import type { Bindings } from '../env';
import { NotFoundException } from '../errors';
import { parseKeyReference, type ArnScope } from '../wire/key-reference';

/** What every operation receives besides its input: who asks, and the Worker's bindings. */
export interface OperationContext {
  env: Bindings;
  caller: Caller;
  /** The verified identity, `caller.principal`. */
  principal: Principal;
}

export function callerScope(ctx: OperationContext): ArnScope {
  return { region: ctx.env.KMS_REGION, account: ctx.principal.account };
}

export function directory(env: Bindings, account: string) {
  return env.DIRECTORY.get(env.DIRECTORY.idFromName(account));
}

/** Durable Object ids are pure functions of the name; stubs are per request, ids can be kept. */
const keyObjectIds = new Map<string, DurableObjectId>();

export function keyObject(env: Bindings, keyId: string) {
  let id = keyObjectIds.get(keyId);
  if (!id) {
    id = env.KEY_OBJECT.idFromName(keyId);
    if (keyObjectIds.size >= 10_000) keyObjectIds.delete(keyObjectIds.keys().next().value!);
    keyObjectIds.set(keyId, id);
  }
  return env.KEY_OBJECT.get(id);
}

/**
 * Turns any accepted way of naming a key into its key id. Aliases resolve in
 * the account their ARN names, or the caller's; whether the caller may use
 * the key is decided afterwards, by the key itself.
 */
export async function resolveKeyId(
  ctx: OperationContext,
  reference: string,
  { aliases = true }: { aliases?: boolean } = {},
): Promise<string> {
  const parsed = parseKeyReference(reference);
  if (parsed.region !== undefined && parsed.region !== ctx.env.KMS_REGION) {
    throw new NotFoundException(`Key '${reference}' is not in region ${ctx.env.KMS_REGION}.`);
  }
  if (parsed.kind === 'key') return parsed.keyId;
  if (!aliases) throw new NotFoundException(`Specify a key id or key ARN, not the alias '${reference}'.`);
  const keyId = await directory(ctx.env, parsed.account ?? ctx.principal.account).resolveAlias(parsed.aliasName);
  if (keyId === undefined) throw new NotFoundException(`Alias ${parsed.aliasName} is not found.`);
  return keyId;
}

export async function resolveKey(ctx: OperationContext, reference: string, options?: { aliases?: boolean }) {
  const keyId = await resolveKeyId(ctx, reference, options);
  return { keyId, key: keyObject(ctx.env, keyId) };
}

/** Management operations take a key id or key ARN only; AWS KMS refuses aliases there. */
export async function onKey<T>(
  ctx: OperationContext,
  reference: string,
  call: (key: ReturnType<typeof keyObject>) => Promise<T>,
): Promise<T> {
  const { key } = await resolveKey(ctx, reference, { aliases: false });
  return call(key);
}
