import { DurableObject } from 'cloudflare:workers';
import type { Bindings } from '../env';
import { AlreadyExistsException, NotFoundException } from '../errors';
import { capture, type Result } from '../result';
import { readRetirableGrant, type AwsShapedGrant, type RetirableGrant } from '../key-object/stored-grant';
import { decodeMarker, pageFromLookahead, type Page } from '../wire/pagination';
import { IdentityPolicyStore, type IdentityKind } from './identity-policy-store';
import { KeyStores, type ExternalCiphertext, type KeyStoreChanges, type KeyStoreView, type NewKeyStore } from './key-stores';
import type { ProxyAnswer, RequestMetadata } from '../xks/proxy-client';

/**
 * One Directory per account: which keys the account has and which aliases
 * point at them. It holds no key material and takes no authorization
 * decisions about keys; the key's own Durable Object does that.
 *
 * Each table has one writer. The key list and the retirable-grant index
 * follow a key's own state, so only the key's object writes them
 * (key-object/directory-index.ts says why it must be the object); aliases
 * are the account's, written only by operations/aliases.ts. The identity
 * policies live in a Directory object of their own per account (stubs.ts,
 * `identityDirectory`), written only by operations/identity-policies.ts.
 */
export interface AliasEntry {
  aliasName: string;
  keyId: string;
  createdAt: number;
  updatedAt: number;
}

export class Directory extends DurableObject<Bindings> {
  private readonly sql: SqlStorage;
  private readonly identityPolicies: IdentityPolicyStore;
  private readonly keyStores: KeyStores;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.identityPolicies = new IdentityPolicyStore(this.sql);
    this.keyStores = new KeyStores(this.sql, env);
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS keys (key_id TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS deleted_keys (key_id TEXT PRIMARY KEY, deleted_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS aliases (
        alias_name TEXT PRIMARY KEY,
        key_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS aliases_by_key ON aliases (key_id);
      CREATE TABLE IF NOT EXISTS retirable_grants (
        grant_id TEXT PRIMARY KEY,
        key_id TEXT NOT NULL,
        retiring_principal TEXT NOT NULL,
        entry TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS retirable_grants_by_principal ON retirable_grants (retiring_principal, grant_id);
    `);
  }

  addKey(keyId: string): void {
    this.sql.exec('INSERT OR IGNORE INTO keys (key_id, created_at) VALUES (?, ?)', keyId, Date.now());
  }

  /**
   * Whether a key with this id was ever created in this account, deleted ones
   * included (their objects keep a tombstone that answers for them). The
   * Worker asks this before it reaches a key's object: merely addressing an
   * object creates its storage, so a key id that was only ever named in a
   * request must never get that far.
   */
  hasKey(keyId: string): boolean {
    return (
      this.sql
        .exec('SELECT 1 FROM keys WHERE key_id = ? UNION ALL SELECT 1 FROM deleted_keys WHERE key_id = ? LIMIT 1', keyId, keyId)
        .toArray().length > 0
    );
  }

  /** Called by a key's object when its deletion window ends; its aliases go with it. */
  forgetKey(keyId: string): void {
    this.sql.exec('DELETE FROM keys WHERE key_id = ?', keyId);
    // Remembered only so that the account's audit queries still reach the deleted key's trail.
    this.sql.exec('INSERT OR IGNORE INTO deleted_keys (key_id, deleted_at) VALUES (?, ?)', keyId, Date.now());
    this.sql.exec('DELETE FROM aliases WHERE key_id = ?', keyId);
    this.sql.exec('DELETE FROM retirable_grants WHERE key_id = ?', keyId);
    this.keyStores.release(keyId);
  }

  /** ListRetirableGrants is an account-wide question; keys keep this index of their grants up to date. */
  indexGrant(entry: RetirableGrant): void {
    if (entry.retiringPrincipal === undefined) return;
    const keyId = entry.keyArn.slice(entry.keyArn.lastIndexOf('/') + 1);
    this.sql.exec(
      'INSERT OR REPLACE INTO retirable_grants (grant_id, key_id, retiring_principal, entry) VALUES (?, ?, ?, ?)',
      entry.grantId,
      keyId,
      entry.retiringPrincipal,
      JSON.stringify(entry),
    );
  }

  unindexGrant(grantId: string): void {
    this.sql.exec('DELETE FROM retirable_grants WHERE grant_id = ?', grantId);
  }

  /** Entries written by earlier releases are in AWS's GrantListEntry shape (key-object/stored-grant.ts). */
  listRetirableGrants(retiringPrincipal: string, limit: number, marker: string | undefined): Promise<Result<Page<RetirableGrant>>> {
    return capture(() => {
      const after = decodeMarker(marker) ?? '';
      const rows = this.sql
        .exec<{ grant_id: string; entry: string }>(
          'SELECT grant_id, entry FROM retirable_grants WHERE retiring_principal = ? AND grant_id > ? ORDER BY grant_id LIMIT ?',
          retiringPrincipal,
          after,
          limit + 1,
        )
        .toArray();
      const page = pageFromLookahead(rows, limit, (row) => row.grant_id);
      return { ...page, items: page.items.map((row) => readRetirableGrant(JSON.parse(row.entry) as RetirableGrant | AwsShapedGrant)) };
    });
  }

  listKeys(limit: number, marker: string | undefined): Promise<Result<Page<string>>> {
    return capture(() => {
      const after = decodeMarker(marker) ?? '';
      const rows = this.sql
        .exec<{ key_id: string }>('SELECT key_id FROM keys WHERE key_id > ? ORDER BY key_id LIMIT ?', after, limit + 1)
        .toArray();
      const page = pageFromLookahead(rows, limit, (row) => row.key_id);
      return { ...page, items: page.items.map((row) => row.key_id) };
    });
  }

  /**
   * Keys the account has had, deleted ones included (the sources of its audit
   * trail), in key id order from `from` on: at most `limit` of them, so that an
   * account-wide audit request reads a bounded slice of a list of any length.
   */
  auditSources(from: string, limit: number, { inclusive = false } = {}): string[] {
    const op = inclusive ? '>=' : '>';
    return this.sql
      .exec<{ key_id: string }>(
        `SELECT key_id FROM keys WHERE key_id ${op} ? UNION SELECT key_id FROM deleted_keys WHERE key_id ${op} ? ORDER BY key_id LIMIT ?`,
        from,
        from,
        limit,
      )
      .toArray()
      .map((row) => row.key_id);
  }

  resolveAlias(aliasName: string): string | undefined {
    return this.sql
      .exec<{ key_id: string }>('SELECT key_id FROM aliases WHERE alias_name = ?', aliasName)
      .toArray()[0]?.key_id;
  }

  createAlias(aliasName: string, keyId: string): Promise<Result<void>> {
    return capture(() => {
      if (this.resolveAlias(aliasName) !== undefined) {
        throw new AlreadyExistsException(`An alias with the name ${aliasName} already exists.`);
      }
      const now = Date.now();
      this.sql.exec(
        'INSERT INTO aliases (alias_name, key_id, created_at, updated_at) VALUES (?, ?, ?, ?)',
        aliasName,
        keyId,
        now,
        now,
      );
    });
  }

  updateAlias(aliasName: string, keyId: string): Promise<Result<void>> {
    return capture(() => {
      const cursor = this.sql.exec('UPDATE aliases SET key_id = ?, updated_at = ? WHERE alias_name = ?', keyId, Date.now(), aliasName);
      if (cursor.rowsWritten === 0) throw new NotFoundException(`Alias ${aliasName} does not exist.`);
    });
  }

  deleteAlias(aliasName: string): Promise<Result<void>> {
    return capture(() => {
      const cursor = this.sql.exec('DELETE FROM aliases WHERE alias_name = ?', aliasName);
      if (cursor.rowsWritten === 0) throw new NotFoundException(`Alias ${aliasName} does not exist.`);
    });
  }

  listAliases(keyId: string | undefined, limit: number, marker: string | undefined): Promise<Result<Page<AliasEntry>>> {
    return capture(() => {
      const after = decodeMarker(marker) ?? '';
      const rows = this.sql
        .exec<{ alias_name: string; key_id: string; created_at: number; updated_at: number }>(
          `SELECT alias_name, key_id, created_at, updated_at FROM aliases
           WHERE alias_name > ? AND (? IS NULL OR key_id = ?) ORDER BY alias_name LIMIT ?`,
          after,
          keyId ?? null,
          keyId ?? null,
          limit + 1,
        )
        .toArray();
      const page = pageFromLookahead(rows, limit, (row) => row.alias_name);
      const aliases = page.items.map((row) => ({
        aliasName: row.alias_name,
        keyId: row.key_id,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
      }));
      return { ...page, items: aliases };
    });
  }

  putIdentityPolicy(kind: IdentityKind, identity: string, policyName: string, document: string): Promise<Result<void>> {
    return capture(() => this.identityPolicies.put(kind, identity, policyName, document));
  }

  getIdentityPolicy(kind: IdentityKind, identity: string, policyName: string): Promise<Result<string>> {
    return capture(() => this.identityPolicies.get(kind, identity, policyName));
  }

  deleteIdentityPolicy(kind: IdentityKind, identity: string, policyName: string): Promise<Result<void>> {
    return capture(() => this.identityPolicies.delete(kind, identity, policyName));
  }

  listIdentityPolicies(kind: IdentityKind, identity: string, limit: number, marker: string | undefined): Promise<Result<Page<string>>> {
    return capture(() => this.identityPolicies.names(kind, identity, limit, marker));
  }

  /** The documents attached to this user and these roles: one call per request (operations/identity-resolution.ts). */
  applicableIdentityPolicies(user: string | undefined, roles: readonly string[]): string[] {
    return this.identityPolicies.applicable(user, roles);
  }

  // External key stores (key-stores.ts): `region` is this Directory's, named by the caller.

  createKeyStore(store: NewKeyStore, region: string, requestId: string): Promise<Result<string>> {
    return capture(() => this.keyStores.create(store, region, requestId));
  }

  describeKeyStores(filter: { id?: string; name?: string }, limit: number, marker: string | undefined): Promise<Result<Page<KeyStoreView>>> {
    return capture(() => this.keyStores.describe(filter, limit, marker));
  }

  updateKeyStore(id: string, changes: KeyStoreChanges, region: string, requestId: string): Promise<Result<void>> {
    return capture(() => this.keyStores.update(id, changes, region, requestId));
  }

  deleteKeyStore(id: string): Promise<Result<void>> {
    return capture(() => this.keyStores.delete(id));
  }

  connectKeyStore(id: string, region: string, requestId: string): Promise<Result<void>> {
    return capture(() => this.keyStores.connect(id, region, requestId));
  }

  resealKeyStores(): Promise<Result<number>> {
    return capture(() => this.keyStores.resealAll());
  }

  disconnectKeyStore(id: string): Promise<Result<void>> {
    return capture(() => this.keyStores.disconnect(id));
  }

  claimExternalKey(storeId: string, xksKeyId: string, keyId: string, region: string, metadata: RequestMetadata): Promise<Result<void>> {
    return capture(() => this.keyStores.claimExternalKey(storeId, xksKeyId, keyId, region, metadata));
  }

  releaseExternalKey(keyId: string): void {
    this.keyStores.release(keyId);
  }

  externalEncrypt(storeId: string, xksKeyId: string, plaintext: Uint8Array, aad: Uint8Array, region: string, metadata: RequestMetadata): Promise<Result<ProxyAnswer<ExternalCiphertext>>> {
    return capture(() => this.keyStores.encrypt(storeId, xksKeyId, plaintext, aad, region, metadata));
  }

  externalDecrypt(storeId: string, xksKeyId: string, sealed: ExternalCiphertext, aad: Uint8Array, region: string, metadata: RequestMetadata): Promise<Result<ProxyAnswer<Uint8Array>>> {
    return capture(() => this.keyStores.decrypt(storeId, xksKeyId, sealed, aad, region, metadata));
  }
}
