import type { Bindings } from './env';
import { KMSInternalException } from './errors';
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
  const space = inJurisdiction(namespace, jurisdiction);
  return space.get(id ?? space.idFromName(name), locationHint ? { locationHint } : {});
}

/** The namespace's part in the jurisdiction; a runtime without jurisdictions (workerd) is the operator's configuration error. */
function inJurisdiction<T extends Rpc.DurableObjectBranded | undefined>(namespace: DurableObjectNamespace<T>, jurisdiction: DurableObjectJurisdiction | undefined) {
  if (!jurisdiction) return namespace;
  try {
    return namespace.jurisdiction(jurisdiction);
  } catch (error) {
    throw new KMSInternalException(`KMS_EU_JURISDICTION is set, but this runtime has no ${jurisdiction} jurisdiction (${(error as Error).message}).`);
  }
}

const keyObjectIds = new Map<string, DurableObjectId>();

/**
 * How many times this isolate addressed a Durable Object (a stub is made per
 * call): `npm run bench -- hot-key` reads it through the bench route, to show
 * that a cryptographic request on a replicated key touches one object.
 */
export const objectsAddressed = { count: 0 };

/** Ids are pure functions of the name (and jurisdiction); stubs are per request, ids can be kept. */
export function keyObject(env: Bindings, region: string, keyId: string) {
  objectsAddressed.count++;
  const name = regionalName(env, region, keyId);
  const { jurisdiction } = placementOf(env, region);
  const cacheKey = `${jurisdiction ?? ''}|${name}`;
  let id = keyObjectIds.get(cacheKey);
  if (!id) {
    id = inJurisdiction(env.KEY_OBJECT, jurisdiction).idFromName(name);
    if (keyObjectIds.size >= 10_000) keyObjectIds.delete(keyObjectIds.keys().next().value!);
    keyObjectIds.set(cacheKey, id);
  }
  return regionalObject(env, env.KEY_OBJECT, region, name, id);
}

/**
 * Replica `index` of a key (docs/replicas.md): replica 0 is the key's own
 * object above, whose name never changes (a key's state lives there);
 * replicas 1..15 are named from the key id and their index. A key id has no
 * `#`, so no replica's name is another key's.
 */
export function keyReplica(env: Bindings, region: string, keyId: string, index: number) {
  return index === 0 ? keyObject(env, region, keyId) : keyObject(env, region, `${keyId}#${index}`);
}

export function directory(env: Bindings, scope: ArnScope) {
  objectsAddressed.count++;
  return regionalObject(env, env.DIRECTORY, scope.region, regionalName(env, scope.region, scope.account));
}

/**
 * Where an account's identity policies live: a Directory object of its own,
 * named by the account alone. Identity policies are global in IAM, so they
 * must not follow whatever else the Directory is partitioned by.
 */
export function identityDirectory(env: Bindings, account: string) {
  objectsAddressed.count++;
  return env.DIRECTORY.get(env.DIRECTORY.idFromName(`identity/${account}`));
}

export function auditLog(env: Bindings, scope: ArnScope) {
  objectsAddressed.count++;
  return regionalObject(env, env.AUDIT_LOG, scope.region, regionalName(env, scope.region, scope.account));
}
