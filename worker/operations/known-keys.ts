import type { Bindings } from '../env';
import { NotFoundException } from '../errors';
import { directory } from '../stubs';
import type { ArnScope } from '../wire/key-reference';

/**
 * Which key ids exist, as the Worker decides before it reaches a key's
 * Durable Object. Addressing an object creates its storage (a SQLite
 * database, even if the object never reads or writes it), so a request that
 * merely names a key id that was never created must be refused here, or every
 * probe would leave an empty database behind. The Directory of the account
 * in the region is the record of which keys were created there (CreateKey
 * registers each one).
 *
 * A key id, once created, exists for good (a deleted key leaves a tombstone),
 * so what the Directory confirmed is remembered per isolate, bounded; what it
 * denied is not, since the key might be created a moment later.
 */
const MAX_REMEMBERED = 10_000;
const confirmed = new Set<string>();

const entry = (scope: ArnScope, keyId: string) => `${scope.region}/${scope.account}/${keyId}`;

export function rememberKey(scope: ArnScope, keyId: string): void {
  const name = entry(scope, keyId);
  if (confirmed.has(name)) return;
  if (confirmed.size >= MAX_REMEMBERED) confirmed.delete(confirmed.values().next().value!);
  confirmed.add(name);
}

/** Refuses, as a key that does not exist, a key id that was never created in that account and region. */
export async function requireCreatedKey(env: Bindings, scope: ArnScope, keyId: string): Promise<void> {
  if (confirmed.has(entry(scope, keyId))) return;
  if (!(await directory(env, scope).hasKey(keyId))) throw new NotFoundException('Key not found.');
  rememberKey(scope, keyId);
}
