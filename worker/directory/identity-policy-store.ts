import { LimitExceededException, NotFoundException } from '../errors';
import { decodeMarker, pageFromLookahead, type Page } from '../wire/pagination';

/**
 * The account's identity policies: inline policies, each attached to one user
 * or one role by name, as IAM's PutUserPolicy / PutRolePolicy keep them. One
 * SQLite table in the account's identity Directory (stubs.ts names it per
 * account, not per region: IAM is global). Documents are stored as given
 * (they were parsed before), so Get returns them byte for byte.
 */
export type IdentityKind = 'user' | 'role';

/** Inline policies per user or role; IAM bounds them by total size, this by count and per-document size. */
export const MAX_POLICIES_PER_IDENTITY = 10;

export class IdentityPolicyStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`
      CREATE TABLE IF NOT EXISTS identity_policies (
        kind TEXT NOT NULL,
        identity TEXT NOT NULL,
        policy_name TEXT NOT NULL,
        document TEXT NOT NULL,
        PRIMARY KEY (kind, identity, policy_name)
      );
    `);
  }

  put(kind: IdentityKind, identity: string, policyName: string, document: string): void {
    const existing = this.sql
      .exec<{ policy_name: string }>('SELECT policy_name FROM identity_policies WHERE kind = ? AND identity = ?', kind, identity)
      .toArray();
    if (!existing.some((row) => row.policy_name === policyName) && existing.length >= MAX_POLICIES_PER_IDENTITY) {
      throw new LimitExceededException(`The ${kind} ${identity} already has ${MAX_POLICIES_PER_IDENTITY} inline policies.`);
    }
    this.sql.exec(
      'INSERT OR REPLACE INTO identity_policies (kind, identity, policy_name, document) VALUES (?, ?, ?, ?)',
      kind,
      identity,
      policyName,
      document,
    );
  }

  get(kind: IdentityKind, identity: string, policyName: string): string {
    const row = this.sql
      .exec<{ document: string }>('SELECT document FROM identity_policies WHERE kind = ? AND identity = ? AND policy_name = ?', kind, identity, policyName)
      .toArray()[0];
    if (!row) throw new NotFoundException(`The ${kind} policy with name ${policyName} cannot be found.`);
    return row.document;
  }

  delete(kind: IdentityKind, identity: string, policyName: string): void {
    const cursor = this.sql.exec('DELETE FROM identity_policies WHERE kind = ? AND identity = ? AND policy_name = ?', kind, identity, policyName);
    if (cursor.rowsWritten === 0) throw new NotFoundException(`The ${kind} policy with name ${policyName} cannot be found.`);
  }

  names(kind: IdentityKind, identity: string, limit: number, marker: string | undefined): Page<string> {
    const after = decodeMarker(marker) ?? '';
    const rows = this.sql
      .exec<{ policy_name: string }>(
        'SELECT policy_name FROM identity_policies WHERE kind = ? AND identity = ? AND policy_name > ? ORDER BY policy_name LIMIT ?',
        kind,
        identity,
        after,
        limit + 1,
      )
      .toArray();
    const page = pageFromLookahead(rows, limit, (row) => row.policy_name);
    return { ...page, items: page.items.map((row) => row.policy_name) };
  }

  /** Every document attached to the user or to any of the roles: what applies to one caller. */
  applicable(user: string | undefined, roles: readonly string[]): string[] {
    const wanted = [...(user === undefined ? [] : [['user', user]]), ...roles.map((role) => ['role', role])];
    if (wanted.length === 0) return [];
    const documents: string[] = [];
    // One query per identity: a caller holds a handful of roles, and each lookup is a primary-key range.
    for (const [kind, identity] of wanted) {
      for (const row of this.sql.exec<{ document: string }>('SELECT document FROM identity_policies WHERE kind = ? AND identity = ? ORDER BY policy_name', kind, identity)) {
        documents.push(row.document);
      }
    }
    return documents;
  }
}
