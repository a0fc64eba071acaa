import { genesisHash, recordHash, type AuditEntry, type AuditRecord, type Outcome } from './record';

/**
 * A hash-chained audit log in a Durable Object's SQLite storage: a key's own
 * trail in its KeyObject, and the account's trail (requests that reached no
 * key) in its AuditLog. Appends are synchronous SQL in the same event as the
 * operation, so the record is durable before the response leaves the object.
 */
export interface AuditFilter {
  startTime?: number;
  endTime?: number;
  principal?: string;
  operation?: string;
  outcome?: Outcome;
}

/** Position in a merged, time-ordered listing of several chains. */
export interface AuditPosition {
  time: number;
  source: string;
  sequence: number;
}

export interface ChainVerification {
  source: string;
  records: number;
  valid: boolean;
  firstInvalid?: { sequence: number; requestId?: string; reason: string };
}

interface Row extends Record<string, SqlStorageValue> {
  seq: number;
  time: number;
  request_id: string;
  principal: string;
  account: string;
  operation: string;
  key_id: string | null;
  key_version: number | null;
  encryption_context: string | null;
  outcome: string;
  error_name: string | null;
  source_ip: string | null;
  user_agent: string | null;
  request_count: number | null;
  window_start: number | null;
  prev_hash: string;
  hash: string;
}

function toRecord(row: Row): AuditRecord {
  return {
    sequence: row.seq,
    time: row.time,
    requestId: row.request_id,
    principal: row.principal,
    account: row.account,
    operation: row.operation,
    outcome: row.outcome as Outcome,
    previousHash: row.prev_hash,
    hash: row.hash,
    ...(row.key_id !== null && { keyId: row.key_id }),
    ...(row.key_version !== null && { keyVersion: row.key_version }),
    ...(row.encryption_context !== null && { encryptionContext: JSON.parse(row.encryption_context) as Record<string, string> }),
    ...(row.error_name !== null && { errorName: row.error_name }),
    ...(row.source_ip !== null && { sourceIp: row.source_ip }),
    ...(row.user_agent !== null && { userAgent: row.user_agent }),
    ...(row.request_count !== null && { count: row.request_count }),
    ...(row.window_start !== null && { windowStart: row.window_start }),
  };
}

export class AuditChain {
  private head: { sequence: number; hash: string } | undefined;

  constructor(
    private readonly sql: SqlStorage,
    /** Names the chain (a key id, or `account:<id>`); part of its first hash. */
    readonly source: string,
  ) {
    sql.exec(`
      CREATE TABLE IF NOT EXISTS audit (
        seq INTEGER PRIMARY KEY,
        time INTEGER NOT NULL,
        request_id TEXT NOT NULL,
        principal TEXT NOT NULL,
        account TEXT NOT NULL,
        operation TEXT NOT NULL,
        key_id TEXT,
        key_version INTEGER,
        encryption_context TEXT,
        outcome TEXT NOT NULL,
        error_name TEXT,
        source_ip TEXT,
        user_agent TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        request_count INTEGER,
        window_start INTEGER
      );
      CREATE INDEX IF NOT EXISTS audit_by_time ON audit (time, seq);
    `);
    // A chain created before the throttled-request counts gains their columns.
    const columns = new Set(sql.exec<{ name: string }>('PRAGMA table_info(audit)').toArray().map((column) => column.name));
    for (const [name, type] of [['request_count', 'INTEGER'], ['window_start', 'INTEGER']]) {
      if (!columns.has(name!)) sql.exec(`ALTER TABLE audit ADD COLUMN ${name} ${type}`);
    }
  }

  private readHead(): { sequence: number; hash: string } {
    const last = this.sql.exec<{ seq: number; hash: string }>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').toArray()[0];
    return last ? { sequence: last.seq, hash: last.hash } : { sequence: 0, hash: genesisHash(this.source) };
  }

  append(entry: AuditEntry): AuditRecord {
    this.head ??= this.readHead();
    const sequence = this.head.sequence + 1;
    const previousHash = this.head.hash;
    const hash = recordHash(sequence, entry, previousHash);
    this.sql.exec(
      `INSERT INTO audit (seq, time, request_id, principal, account, operation, key_id, key_version,
         encryption_context, outcome, error_name, source_ip, user_agent, request_count, window_start, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      sequence,
      entry.time,
      entry.requestId,
      entry.principal,
      entry.account,
      entry.operation,
      entry.keyId ?? null,
      entry.keyVersion ?? null,
      entry.encryptionContext ? JSON.stringify(entry.encryptionContext) : null,
      entry.outcome,
      entry.errorName ?? null,
      entry.sourceIp ?? null,
      entry.userAgent ?? null,
      entry.count ?? null,
      entry.windowStart ?? null,
      previousHash,
      hash,
    );
    this.head = { sequence, hash };
    return { ...entry, sequence, previousHash, hash };
  }

  /** Records after `after` (in time, source, sequence order) that pass the filter, at most `limit`. */
  query(filter: AuditFilter, after: AuditPosition | undefined, limit: number): AuditRecord[] {
    const conditions: string[] = [];
    const params: SqlStorageValue[] = [];
    if (after) {
      if (this.source > after.source) conditions.push('time >= ?'), params.push(after.time);
      else if (this.source < after.source) conditions.push('time > ?'), params.push(after.time);
      else conditions.push('(time > ? OR (time = ? AND seq > ?))'), params.push(after.time, after.time, after.sequence);
    }
    if (filter.startTime !== undefined) conditions.push('time >= ?'), params.push(filter.startTime);
    if (filter.endTime !== undefined) conditions.push('time <= ?'), params.push(filter.endTime);
    if (filter.principal !== undefined) conditions.push('principal = ?'), params.push(filter.principal);
    if (filter.operation !== undefined) conditions.push('operation = ?'), params.push(filter.operation);
    if (filter.outcome !== undefined) conditions.push('outcome = ?'), params.push(filter.outcome);
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    return this.sql
      .exec<Row>(`SELECT * FROM audit ${where} ORDER BY time, seq LIMIT ?`, ...params, limit)
      .toArray()
      .map(toRecord);
  }

  /** Recomputes every hash from the start; names the first record that is missing, edited or out of place. */
  verify(): ChainVerification {
    let previousHash = genesisHash(this.source);
    let expected = 1;
    for (const row of this.sql.exec<Row>('SELECT * FROM audit ORDER BY seq')) {
      const record = toRecord(row);
      const fail = (sequence: number, reason: string, requestId?: string) => ({
        source: this.source,
        records: expected - 1,
        valid: false,
        firstInvalid: { sequence, reason, ...(requestId !== undefined && { requestId }) },
      });
      if (record.sequence !== expected) return fail(expected, `record ${expected} is missing`);
      if (record.previousHash !== previousHash) return fail(record.sequence, 'its previous hash does not match the record before it', record.requestId);
      if (recordHash(record.sequence, record, record.previousHash) !== record.hash) {
        return fail(record.sequence, 'its content does not match its hash (edited)', record.requestId);
      }
      previousHash = record.hash;
      expected++;
    }
    return { source: this.source, records: expected - 1, valid: true };
  }
}
