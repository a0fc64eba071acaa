import type { Bindings } from './env';
import { placementOf } from './placement';
import type { ArnScope } from './wire/key-reference';

/**
 * How any part of the Worker reaches a Durable Object: the key's own
 * KeyObject, and the Directory and AuditLog of one account in one region.
 * One place, so the naming of objects is decided once.
 *
 * Names in the default region (`KMS_REGION`) are those from before regions
 * existed (the key id, the account id), so the objects stored then are the
 * same objects now. In any other region the name is prefixed with the region
 * (`eu-west-1/<key id>`), so that two regions never share an object, even
 * for one key id (a multi-Region key's replicas share their key id).
 */
function regionalName(env: Bindings, region: string, name: string): string {
  return region === env.KMS_REGION ? name : `${region}/${name}`;
}

/**
 * A region's object of `namespace` named `name`: in the region's
 * jurisdiction if it has one, created with its location hint (placement.ts).
 */
function regionalObject<T extends Rpc.DurableObjectBranded | undefined>(env: Bindings, namespace: DurableObjectNamespace<T>, region: string, name: string, id?: DurableObjectId) {
  const { locationHint, jurisdiction } = placementOf(env, region);
  const space = jurisdiction ? namespace.jurisdiction(jurisdiction) : namespace;
  return space.get(id ?? space.idFromName(name), locationHint ? { locationHint } : {});
}

const keyObjectIds = new Map<string, DurableObjectId>();

/** Ids are pure functions of the name (and jurisdiction); stubs are per request, ids can be kept. */
export function keyObject(env: Bindings, region: string, keyId: string) {
  const name = regionalName(env, region, keyId);
  const { jurisdiction } = placementOf(env, region);
  const cacheKey = `${jurisdiction ?? ''}|${name}`;
  let id = keyObjectIds.get(cacheKey);
  if (!id) {
    id = (jurisdiction ? env.KEY_OBJECT.jurisdiction(jurisdiction) : env.KEY_OBJECT).idFromName(name);
    if (keyObjectIds.size >= 10_000) keyObjectIds.delete(keyObjectIds.keys().next().value!);
    keyObjectIds.set(cacheKey, id);
  }
  return regionalObject(env, env.KEY_OBJECT, region, name, id);
}

export function directory(env: Bindings, scope: ArnScope) {
  return regionalObject(env, env.DIRECTORY, scope.region, regionalName(env, scope.region, scope.account));
}

/**
 * Where an account's identity policies live: a Directory object of its own,
 * named by the account alone. Identity policies are global in IAM, so they
 * must not follow whatever else the Directory is partitioned by.
 */
export function identityDirectory(env: Bindings, account: string) {
  return env.DIRECTORY.get(env.DIRECTORY.idFromName(`identity/${account}`));
}

export function auditLog(env: Bindings, scope: ArnScope) {
  return regionalObject(env, env.AUDIT_LOG, scope.region, regionalName(env, scope.region, scope.account));
}
