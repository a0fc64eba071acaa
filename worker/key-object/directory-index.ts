import type { Bindings } from '../env';
import { directory } from '../stubs';
import type { Grant } from './grants';
import type { KeyRecord } from './key-record';

/**
 * The key's entries in its account's Directory: the key list and the index of
 * grants that name a retiring principal (ListRetirableGrants). The key object
 * is their only writer (the Worker writes only aliases), because both follow
 * the key's own state atomically: the end of a deletion window happens in the
 * key's alarm, when no request is there to write anything, and a grant's
 * index entry is written in the same blockConcurrencyWhile as the grant, so a
 * concurrent RetireGrant or RevokeGrant cannot unindex it before it is indexed.
 */

export async function listKey(env: Bindings, record: KeyRecord): Promise<void> {
  await directory(env, record.account).addKey(record.keyId);
}

/** The directory forgets the key (and its aliases and index entries) at the end of its deletion window. */
export async function unlistKey(env: Bindings, record: KeyRecord): Promise<void> {
  await directory(env, record.account).forgetKey(record.keyId);
}

/** The index holds the grant without its token: only the key's object keeps that. */
export async function indexGrant(env: Bindings, record: KeyRecord, grant: Grant): Promise<void> {
  const { token: _token, ...entry } = grant;
  if (grant.retiringPrincipal) await directory(env, record.account).indexGrant(entry);
}

export async function unindexGrant(env: Bindings, record: KeyRecord, grant: Grant): Promise<void> {
  if (grant.retiringPrincipal) await directory(env, record.account).unindexGrant(grant.grantId);
}
