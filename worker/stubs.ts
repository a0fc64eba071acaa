import type { Bindings } from './env';

/**
 * How any part of the Worker reaches a Durable Object: the key's own
 * KeyObject, the account's Directory and AuditLog. One place, so the naming
 * of objects (key id, account id) is decided once.
 */
const keyObjectIds = new Map<string, DurableObjectId>();

/** Ids are pure functions of the name; stubs are per request, ids can be kept. */
export function keyObject(env: Bindings, keyId: string) {
  let id = keyObjectIds.get(keyId);
  if (!id) {
    id = env.KEY_OBJECT.idFromName(keyId);
    if (keyObjectIds.size >= 10_000) keyObjectIds.delete(keyObjectIds.keys().next().value!);
    keyObjectIds.set(keyId, id);
  }
  return env.KEY_OBJECT.get(id);
}

export function directory(env: Bindings, account: string) {
  return env.DIRECTORY.get(env.DIRECTORY.idFromName(account));
}

/**
 * Where an account's identity policies live: a Directory object of its own,
 * named by the account alone. Identity policies are global in IAM, so they
 * must not follow whatever else the Directory is partitioned by.
 */
export function identityDirectory(env: Bindings, account: string) {
  return env.DIRECTORY.get(env.DIRECTORY.idFromName(`identity/${account}`));
}

export function auditLog(env: Bindings, account: string) {
  return env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName(account));
}
