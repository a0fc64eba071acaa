import type { Bindings } from '../env';
import { NotFoundException } from '../errors';
import { directory } from '../stubs';

/**
 * Which key ids exist, as the Worker decides before it reaches a key's
 * Durable Object. Addressing an object creates its storage (a SQLite
 * database, even if the object never reads or writes it), so a request that
 * merely names a key id that was never created must be refused here, or every
 * probe would leave an empty database behind. The account's Directory is the
 * record of which keys were created (CreateKey registers each one).
 *
 * A key id, once created, exists for good (a deleted key leaves a tombstone),
 * so what the Directory confirmed is remembered per isolate, bounded; what it
 * denied is not, since the key might be created a moment later.
 */
const MAX_REMEMBERED = 10_000;
const confirmed = new Set<string>();

const entry = (account: string, keyId: string) => `${account}/${keyId}`;

export function rememberKey(account: string, keyId: string): void {
  const name = entry(account, keyId);
  if (confirmed.has(name)) return;
  if (confirmed.size >= MAX_REMEMBERED) confirmed.delete(confirmed.values().next().value!);
  confirmed.add(name);
}

/** Refuses, as a key that does not exist, a key id that was never created in `account`. */
export async function requireCreatedKey(env: Bindings, account: string, keyId: string): Promise<void> {
  if (confirmed.has(entry(account, keyId))) return;
  if (!(await directory(env, account).hasKey(keyId))) throw new NotFoundException('Key not found.');
  rememberKey(account, keyId);
}
