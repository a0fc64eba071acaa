import { rootKeys, type RootKeySettings } from '../crypto/root-keys';
import { seal, sealedUnder, unseal } from '../crypto/sealing';
import {
  CustomKeyStoreHasCMKsException,
  CustomKeyStoreInvalidStateException,
  CustomKeyStoreNameInUseException,
  CustomKeyStoreNotFoundException,
  LimitExceededException,
  XksKeyAlreadyInUseException,
  XksKeyInvalidConfigurationException,
  XksProxyUriInUseException,
} from '../errors';
import { connectionErrorCode, createKeyError, keyStoreError, type ConnectionErrorCode, type ProxyFailure } from '../xks/failures';
import {
  callProxy,
  DECRYPT_ANSWER,
  ENCRYPT_ANSWER,
  HEALTH_ANSWER,
  METADATA_ANSWER,
  type ProxyAnswer,
  type ProxyConfig,
  type RequestMetadata,
} from '../xks/proxy-client';
import type { ProxyCredential } from '../xks/sign';
import { decodeMarker, pageFromLookahead, type Page } from '../wire/pagination';

/**
 * The account's external key stores in one region (one SQLite table of the
 * region's Directory), and which KMS key uses which external key. The proxy
 * credential's secret is sealed under the root key (crypto/sealing.ts), bound
 * to the store's id, and is opened only here, to sign a call to the proxy: no
 * answer of this module carries it, so no API can return it.
 *
 * Every call to a store's proxy goes through here, so the store's connection
 * state decides each one: a store that is not CONNECTED gets no call.
 */
export type ConnectionState = 'CONNECTED' | 'CONNECTING' | 'FAILED' | 'DISCONNECTED' | 'DISCONNECTING';

/** What DescribeCustomKeyStores shows of a store: everything but the secret. */
export interface KeyStoreView {
  id: string;
  name: string;
  createdAt: number;
  state: ConnectionState;
  errorCode?: ConnectionErrorCode;
  connectivity: 'PUBLIC_ENDPOINT';
  accessKeyId: string;
  endpoint: string;
  path: string;
}

export interface NewKeyStore {
  name: string;
  endpoint: string;
  path: string;
  credential: ProxyCredential;
}

export interface KeyStoreChanges {
  name?: string;
  endpoint?: string;
  path?: string;
  credential?: ProxyCredential;
}

type Row = {
  id: string;
  name: string;
  created_at: number;
  state: ConnectionState;
  error_code: ConnectionErrorCode | null;
  endpoint: string;
  path: string;
  access_key_id: string;
  sealed_secret: ArrayBuffer;
};

/** AWS KMS's default quota of custom key stores per account and region. */
export const MAX_KEY_STORES = 10;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The id under which a store's secret is sealed: never a KMS key id. */
export const sealingName = (id: string) => `custom-key-store/${id}`;

function newStoreId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return `cks-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('').slice(0, 17)}`;
}

function view(row: Row): KeyStoreView {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    state: row.state,
    ...(row.error_code !== null && { errorCode: row.error_code }),
    connectivity: 'PUBLIC_ENDPOINT',
    accessKeyId: row.access_key_id,
    endpoint: row.endpoint,
    path: row.path,
  };
}

export class KeyStores {
  constructor(
    private readonly sql: SqlStorage,
    private readonly env: RootKeySettings,
  ) {
    sql.exec(`
      CREATE TABLE IF NOT EXISTS custom_key_stores (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        state TEXT NOT NULL,
        error_code TEXT,
        endpoint TEXT NOT NULL,
        path TEXT NOT NULL,
        access_key_id TEXT NOT NULL,
        sealed_secret BLOB NOT NULL
      );
      CREATE TABLE IF NOT EXISTS xks_keys (
        key_id TEXT PRIMARY KEY,
        store_id TEXT NOT NULL,
        xks_key_id TEXT NOT NULL,
        UNIQUE (store_id, xks_key_id)
      );
    `);
  }

  private row(id: string): Row {
    const row = this.sql.exec<Row>('SELECT * FROM custom_key_stores WHERE id = ?', id).toArray()[0];
    if (!row) throw new CustomKeyStoreNotFoundException(`Custom key store '${id}' does not exist.`);
    return row;
  }

  private checkUnique(id: string | undefined, name: string | undefined, uri: { endpoint: string; path: string } | undefined): void {
    if (name !== undefined && this.sql.exec('SELECT 1 FROM custom_key_stores WHERE name = ? AND id IS NOT ?', name, id ?? null).toArray().length > 0) {
      throw new CustomKeyStoreNameInUseException(`A custom key store with the name '${name}' already exists.`);
    }
    if (uri && this.sql.exec('SELECT 1 FROM custom_key_stores WHERE endpoint = ? AND path = ? AND id IS NOT ?', uri.endpoint, uri.path, id ?? null).toArray().length > 0) {
      throw new XksProxyUriInUseException(`The URI ${uri.endpoint}${uri.path} is already associated with another external key store in this Region.`);
    }
  }

  /** `region`: the Directory's, which its callers name; the SigV4 scope of the proxy call. */
  private async config(row: Pick<Row, 'id' | 'endpoint' | 'path' | 'access_key_id' | 'sealed_secret'>, region: string): Promise<ProxyConfig> {
    const secret = await unseal(rootKeys(this.env), sealingName(row.id), 1, new Uint8Array(row.sealed_secret));
    return { endpoint: row.endpoint, path: row.path, credential: { accessKeyId: row.access_key_id, secretAccessKey: decoder.decode(secret) }, region };
  }

  private health(config: ProxyConfig, kmsOperation: string, kmsRequestId: string): Promise<ProxyAnswer<unknown>> {
    return callProxy(config, 'health', { requestMetadata: { kmsRequestId, kmsOperation } }, HEALTH_ANSWER);
  }

  /**
   * Root key rotation (docs/operations.md): every store's secret re-sealed
   * under the newest root, so that a retired root seals nothing here either.
   * Run by GetRootKeyStatus and RetireRootKey; returns how many moved.
   */
  async resealAll(): Promise<number> {
    const roots = rootKeys(this.env);
    let moved = 0;
    for (const row of this.sql.exec<Row>('SELECT * FROM custom_key_stores').toArray()) {
      const sealed = new Uint8Array(row.sealed_secret);
      if (sealedUnder(sealed) === roots.newest) continue;
      const secret = await unseal(roots, sealingName(row.id), 1, sealed);
      const resealed = await seal(roots, sealingName(row.id), 1, secret);
      // Only if no update replaced the secret meanwhile.
      const cursor = this.sql.exec('UPDATE custom_key_stores SET sealed_secret = ? WHERE id = ? AND sealed_secret = ?', resealed, row.id, sealed);
      moved += cursor.rowsWritten > 0 ? 1 : 0;
    }
    return moved;
  }

  /** CreateCustomKeyStore: the proxy must answer GetHealthStatus with this credential first, as in AWS KMS. */
  async create(store: NewKeyStore, region: string, requestId: string): Promise<string> {
    const count = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM custom_key_stores').one().n;
    if (count >= MAX_KEY_STORES) throw new LimitExceededException(`This account already has ${MAX_KEY_STORES} custom key stores in this Region.`);
    this.checkUnique(undefined, store.name, store);
    const id = newStoreId();
    const sealed = await seal(rootKeys(this.env), sealingName(id), 1, encoder.encode(store.credential.secretAccessKey));
    const health = await this.health({ endpoint: store.endpoint, path: store.path, credential: store.credential, region }, 'CreateCustomKeyStore', requestId);
    if (!health.ok) throw keyStoreError(health.failure);
    // Checked again: another create may have taken the name while the proxy answered.
    this.checkUnique(undefined, store.name, store);
    this.sql.exec(
      `INSERT INTO custom_key_stores (id, name, created_at, state, error_code, endpoint, path, access_key_id, sealed_secret)
       VALUES (?, ?, ?, 'DISCONNECTED', NULL, ?, ?, ?, ?)`,
      id,
      store.name,
      Date.now(),
      store.endpoint,
      store.path,
      store.credential.accessKeyId,
      sealed,
    );
    return id;
  }

  describe(filter: { id?: string; name?: string }, limit: number, marker: string | undefined): Page<KeyStoreView> {
    const after = decodeMarker(marker) ?? '';
    const rows = this.sql
      .exec<Row>(
        `SELECT * FROM custom_key_stores WHERE id > ? AND (? IS NULL OR id = ?) AND (? IS NULL OR name = ?) ORDER BY id LIMIT ?`,
        after,
        filter.id ?? null,
        filter.id ?? null,
        filter.name ?? null,
        filter.name ?? null,
        limit + 1,
      )
      .toArray();
    if (rows.length === 0 && (filter.id !== undefined || filter.name !== undefined)) {
      throw new CustomKeyStoreNotFoundException(`Custom key store '${filter.id ?? filter.name}' does not exist.`);
    }
    const page = pageFromLookahead(rows, limit, (row) => row.id);
    return { ...page, items: page.items.map(view) };
  }

  /**
   * UpdateCustomKeyStore. As in AWS KMS, the name, the credential and the URI
   * path may change while the store is connected; the endpoint only while it
   * is disconnected. A new endpoint, path or credential must pass
   * GetHealthStatus before it is saved.
   */
  async update(id: string, changes: KeyStoreChanges, region: string, requestId: string): Promise<void> {
    const row = this.row(id);
    if (changes.endpoint !== undefined && changes.endpoint !== row.endpoint && row.state !== 'DISCONNECTED') {
      throw new CustomKeyStoreInvalidStateException(`Custom key store '${id}' must be disconnected to change its XksProxyUriEndpoint.`);
    }
    const endpoint = changes.endpoint ?? row.endpoint;
    const path = changes.path ?? row.path;
    this.checkUnique(id, changes.name, { endpoint, path });
    const proxyChanges = changes.endpoint !== undefined || changes.path !== undefined || changes.credential !== undefined;
    let sealed: Uint8Array = new Uint8Array(row.sealed_secret);
    if (proxyChanges) {
      const current = await this.config(row, region);
      const credential = changes.credential ?? current.credential;
      const health = await this.health({ endpoint, path, credential, region }, 'UpdateCustomKeyStore', requestId);
      if (!health.ok) throw keyStoreError(health.failure);
      if (changes.credential) sealed = await seal(rootKeys(this.env), sealingName(id), 1, encoder.encode(changes.credential.secretAccessKey));
    }
    this.checkUnique(id, changes.name, { endpoint, path });
    this.sql.exec(
      'UPDATE custom_key_stores SET name = ?, endpoint = ?, path = ?, access_key_id = ?, sealed_secret = ? WHERE id = ?',
      changes.name ?? row.name,
      endpoint,
      path,
      changes.credential?.accessKeyId ?? row.access_key_id,
      sealed,
      id,
    );
  }

  /** DeleteCustomKeyStore: only a disconnected store with no KMS keys (deleted keys leave xks_keys). */
  delete(id: string): void {
    const row = this.row(id);
    if (row.state !== 'DISCONNECTED') throw new CustomKeyStoreInvalidStateException(`Custom key store '${id}' must be disconnected before it is deleted.`);
    const keys = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM xks_keys WHERE store_id = ?', id).one().n;
    if (keys > 0) throw new CustomKeyStoreHasCMKsException(`Custom key store '${id}' has ${keys} KMS keys. Delete them before deleting the key store.`);
    this.sql.exec('DELETE FROM custom_key_stores WHERE id = ?', id);
  }

  /**
   * ConnectCustomKeyStore: CONNECTING while GetHealthStatus runs, then
   * CONNECTED, or FAILED with the ConnectionErrorCode (AWS answers the call
   * itself with success either way; DescribeCustomKeyStores shows the
   * outcome). A FAILED store must be disconnected before it connects again.
   */
  async connect(id: string, region: string, requestId: string): Promise<void> {
    const row = this.row(id);
    if (row.state === 'CONNECTED' || row.state === 'CONNECTING') return;
    if (row.state === 'FAILED' || row.state === 'DISCONNECTING') {
      throw new CustomKeyStoreInvalidStateException(
        `Custom key store '${id}' is ${row.state}. Disconnect it (DisconnectCustomKeyStore) before connecting it again.`,
      );
    }
    this.setState(id, 'CONNECTING', null);
    const health = await this.health(await this.config(row, region), 'ConnectCustomKeyStore', requestId);
    // A disconnect that came meanwhile wins.
    if (this.row(id).state !== 'CONNECTING') return;
    if (health.ok) this.setState(id, 'CONNECTED', null);
    else this.setState(id, 'FAILED', connectionErrorCode(health.failure));
  }

  disconnect(id: string): void {
    this.row(id);
    this.setState(id, 'DISCONNECTED', null);
  }

  private setState(id: string, state: ConnectionState, errorCode: ConnectionErrorCode | null): void {
    this.sql.exec('UPDATE custom_key_stores SET state = ?, error_code = ? WHERE id = ?', state, errorCode, id);
  }

  /** A connected store's proxy, or the failure that stops the call. */
  private async connected(id: string, region: string): Promise<ProxyConfig | ProxyFailure> {
    const row = this.row(id);
    return row.state === 'CONNECTED' ? this.config(row, region) : 'NotConnected';
  }

  /**
   * CreateKey in an external key store: the store must be connected, the
   * external key must be an enabled AES_256 key for ENCRYPT and DECRYPT
   * (GetKeyMetadata), and no other KMS key of the store may use it. The claim
   * is released when the KMS key is deleted (release) or its creation fails.
   */
  async claimExternalKey(storeId: string, xksKeyId: string, keyId: string, region: string, metadata: RequestMetadata): Promise<void> {
    const config = await this.connected(storeId, region);
    if (typeof config === 'string') throw createKeyError(config);
    if (this.sql.exec('SELECT 1 FROM xks_keys WHERE store_id = ? AND xks_key_id = ?', storeId, xksKeyId).toArray().length > 0) {
      throw new XksKeyAlreadyInUseException(`The external key '${xksKeyId}' is already associated with a KMS key in this custom key store.`);
    }
    const answer = await callProxy(config, `keys/${xksKeyId}/metadata`, { requestMetadata: metadata }, METADATA_ANSWER);
    if (!answer.ok) throw createKeyError(answer.failure);
    const { keySpec, keyUsage, keyStatus } = answer.value;
    if (keySpec !== 'AES_256' || !keyUsage.includes('ENCRYPT') || !keyUsage.includes('DECRYPT') || keyStatus !== 'ENABLED') {
      throw new XksKeyInvalidConfigurationException(
        `The external key '${xksKeyId}' must be an enabled AES_256 key that supports ENCRYPT and DECRYPT; the proxy reports ${keySpec}, ${keyStatus}, [${keyUsage.join(', ')}].`,
      );
    }
    try {
      this.sql.exec('INSERT INTO xks_keys (key_id, store_id, xks_key_id) VALUES (?, ?, ?)', keyId, storeId, xksKeyId);
    } catch {
      // The UNIQUE constraint: another CreateKey claimed it while the proxy answered.
      throw new XksKeyAlreadyInUseException(`The external key '${xksKeyId}' is already associated with a KMS key in this custom key store.`);
    }
  }

  release(keyId: string): void {
    this.sql.exec('DELETE FROM xks_keys WHERE key_id = ?', keyId);
  }

  /** The proxy's Encrypt (AES_GCM) of the key's own ciphertext. */
  async encrypt(storeId: string, xksKeyId: string, plaintext: Uint8Array, aad: Uint8Array, region: string, metadata: RequestMetadata): Promise<ProxyAnswer<ExternalCiphertext>> {
    const config = await this.connected(storeId, region);
    if (typeof config === 'string') return { ok: false, failure: config };
    return callProxy(
      config,
      `keys/${xksKeyId}/encrypt`,
      { requestMetadata: metadata, plaintext: plaintext.toBase64(), additionalAuthenticatedData: aad.toBase64(), encryptionAlgorithm: 'AES_GCM' },
      ENCRYPT_ANSWER,
    );
  }

  async decrypt(storeId: string, xksKeyId: string, sealed: ExternalCiphertext, aad: Uint8Array, region: string, metadata: RequestMetadata): Promise<ProxyAnswer<Uint8Array>> {
    const config = await this.connected(storeId, region);
    if (typeof config === 'string') return { ok: false, failure: config };
    const answer = await callProxy(
      config,
      `keys/${xksKeyId}/decrypt`,
      {
        requestMetadata: metadata,
        ciphertext: sealed.ciphertext.toBase64(),
        ...(sealed.ciphertextMetadata && { ciphertextMetadata: sealed.ciphertextMetadata.toBase64() }),
        encryptionAlgorithm: 'AES_GCM',
        additionalAuthenticatedData: aad.toBase64(),
        initializationVector: sealed.initializationVector.toBase64(),
        authenticationTag: sealed.authenticationTag.toBase64(),
      },
      DECRYPT_ANSWER,
    );
    return answer.ok ? { ok: true, value: answer.value.plaintext } : answer;
  }
}

/** The proxy's answer to Encrypt: what the outer layer of the ciphertext blob holds (xks/external-ciphertext.ts). */
export interface ExternalCiphertext {
  ciphertext: Uint8Array;
  initializationVector: Uint8Array;
  authenticationTag: Uint8Array;
  ciphertextMetadata?: Uint8Array;
}
