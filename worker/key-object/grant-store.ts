import type { Principal } from '../auth/principal';
import { decodeMarker, pageFromLookahead, type Page } from '../wire/pagination';
import type { Grant } from './grants';
import { readStoredGrant, type AwsShapedGrant } from './stored-grant';

interface Row extends Record<string, SqlStorageValue> {
  body: string;
}

/** Where earlier versions kept each grant: one key-value entry per grant. */
const LEGACY_PREFIX = 'grant:';
const LEGACY_PAGE = 1000;

/** The grantee ARNs a grant may name to apply to this principal (grants.ts decides which really do). */
function granteeArnsOf(principal: Principal): string[] {
  return [
    principal.arn,
    ...(principal.isAccountAdmin ? [`arn:aws:iam::${principal.account}:root`] : []),
    ...principal.roles.map((role) => `arn:aws:iam::${principal.account}:role/${role}`),
  ];
}

/** Bodies written by earlier releases are in AWS's Grant shape (stored-grant.ts). */
const parse = (row: Row) => readStoredGrant(JSON.parse(row.body) as Grant | AwsShapedGrant);

/**
 * A key's grants, in its object's SQLite storage and indexed by grantee. A
 * request reads only the grants that could name its caller, so neither the
 * object's memory nor the time to authorize grows with the number of grants
 * on the key (up to 50,000, as in AWS KMS); nothing is loaded at start.
 */
export class GrantStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`
      CREATE TABLE IF NOT EXISTS grants (
        grant_id TEXT PRIMARY KEY,
        grantee TEXT NOT NULL,
        name TEXT,
        body TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS grants_by_grantee ON grants (grantee, name);
    `);
  }

  count(): number {
    return this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM grants').one().n;
  }

  get(grantId: string): Grant | undefined {
    const row = this.sql.exec<Row>('SELECT body FROM grants WHERE grant_id = ?', grantId).toArray()[0];
    return row && parse(row);
  }

  put(grant: Grant): void {
    this.sql.exec(
      'INSERT OR REPLACE INTO grants (grant_id, grantee, name, body) VALUES (?, ?, ?, ?)',
      grant.grantId,
      grant.grantee,
      grant.name ?? null,
      JSON.stringify(grant),
    );
  }

  delete(grantId: string): void {
    this.sql.exec('DELETE FROM grants WHERE grant_id = ?', grantId);
  }

  deleteAll(): void {
    this.sql.exec('DELETE FROM grants');
  }

  /** Every grant, oldest first (the order `naming` reads them in): what replica 0 copies to its replicas. */
  all(): Grant[] {
    return this.sql.exec<Row>('SELECT body FROM grants ORDER BY rowid').toArray().map(parse);
  }

  /** A replica's grants become replica 0's, in one synchronous step (no request sees half of them). */
  replaceAll(grants: readonly Grant[]): void {
    this.deleteAll();
    for (const grant of grants) this.put(grant);
  }

  /** Grants that may name the principal, oldest first. Lazy: read only if a policy left the decision to grants. */
  *naming(principal: Principal): Generator<Grant> {
    const arns = JSON.stringify(granteeArnsOf(principal));
    // One bound parameter however many roles the principal holds.
    yield* this.sql
      .exec<Row>('SELECT body FROM grants WHERE grantee IN (SELECT value FROM json_each(?)) ORDER BY rowid', arns)
      .toArray()
      .map(parse);
  }

  /** The grants to this grantee with this name (CreateGrant is idempotent by name). */
  named(grantee: string, name: string): Grant[] {
    return this.sql.exec<Row>('SELECT body FROM grants WHERE grantee = ? AND name = ?', grantee, name).toArray().map(parse);
  }

  /** Up to `limit` grants in grant id order after `after`, optionally one id or one grantee only. */
  list(filter: { grantId?: string; granteePrincipal?: string }, after: string | undefined, limit: number): Grant[] {
    const conditions: string[] = [];
    const params: SqlStorageValue[] = [];
    if (after !== undefined) conditions.push('grant_id > ?'), params.push(after);
    if (filter.grantId !== undefined) conditions.push('grant_id = ?'), params.push(filter.grantId);
    if (filter.granteePrincipal !== undefined) conditions.push('grantee = ?'), params.push(filter.granteePrincipal);
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    return this.sql.exec<Row>(`SELECT body FROM grants ${where} ORDER BY grant_id LIMIT ?`, ...params, limit).toArray().map(parse);
  }

  /** A ListGrants page: grant id order, after the grant a marker names. */
  page(filter: { grantId?: string; granteePrincipal?: string }, limit: number | undefined, marker: string | undefined): Page<Grant> {
    const size = limit ?? 100;
    return pageFromLookahead(this.list(filter, decodeMarker(marker), size + 1), size, (grant) => grant.grantId);
  }

  /** Moves grants that an earlier version stored as key-value entries into the table; repeats harmlessly if interrupted. */
  async moveLegacyGrants(storage: DurableObjectStorage): Promise<void> {
    for (;;) {
      const page = await storage.list<Grant | AwsShapedGrant>({ prefix: LEGACY_PREFIX, limit: LEGACY_PAGE });
      if (page.size === 0) return;
      for (const grant of page.values()) this.put(readStoredGrant(grant));
      const keys = [...page.keys()];
      // The storage API deletes at most 128 keys per call.
      for (let start = 0; start < keys.length; start += 128) await storage.delete(keys.slice(start, start + 128));
    }
  }
}
