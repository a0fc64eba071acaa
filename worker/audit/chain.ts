import { genesisHash, recordHash, type AuditEntry, type AuditRecord, type ContextSummary, type Outcome } from './record';

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

/** One page of a chain's records, read in sequence order. */
export interface ChainPage {
  records: AuditRecord[];
  /** The sequence number to go on after, while the chain may hold more; absent once it is read to its end. */
  resumeAfter?: number;
  /** How many sequence numbers the page covered, matching the filter or not: the work it cost. */
  scanned: number;
}

export interface InvalidRecord {
  sequence: number;
  requestId?: string;
  reason: string;
}

export interface ChainVerification {
  source: string;
  records: number;
  valid: boolean;
  firstInvalid?: InvalidRecord;
}

/** Where a verification stopped: the last record found intact and its hash, which the next one must name. */
export interface ChainProgress {
  afterSequence: number;
  previousHash: string;
}

/** Part of a chain verified: up to a budget of records, or to the first one that is not intact. */
export interface ChainVerificationPage {
  source: string;
  /** Records found intact on this page. */
  verified: number;
  /** Where the next page goes on; absent once the chain is verified to its end, or found broken. */
  next?: ChainProgress;
  firstInvalid?: InvalidRecord;
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
  encryption_context_summary: string | null;
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
    ...(row.encryption_context_summary !== null && { encryptionContextSummary: JSON.parse(row.encryption_context_summary) as ContextSummary }),
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
    // A chain created before the throttled-request counts, or before context summaries, gains their columns.
    const columns = new Set(sql.exec<{ name: string }>('PRAGMA table_info(audit)').toArray().map((column) => column.name));
    for (const [name, type] of [['request_count', 'INTEGER'], ['window_start', 'INTEGER'], ['encryption_context_summary', 'TEXT']]) {
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
         encryption_context, outcome, error_name, source_ip, user_agent, request_count, window_start,
         encryption_context_summary, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
      entry.encryptionContextSummary ? JSON.stringify(entry.encryptionContextSummary) : null,
      previousHash,
      hash,
    );
    this.head = { sequence, hash };
    return { ...entry, sequence, previousHash, hash };
  }

  /**
   * Records after sequence `afterSequence` that pass the filter, in sequence
   * order: at most `limit` of them, from at most `scanBudget` sequence numbers.
   * The budget bounds the work however few records match, so a filter that
   * matches nothing still returns, with the place to go on from.
   */
  page(filter: AuditFilter, afterSequence: number, limit: number, scanBudget: number): ChainPage {
    const windowEnd = afterSequence + Math.max(1, scanBudget);
    const conditions = ['seq > ?', 'seq <= ?'];
    const params: SqlStorageValue[] = [afterSequence, windowEnd];
    // Unary plus keeps SQLite on the sequence range: the time index would read past the budget.
    if (filter.startTime !== undefined) conditions.push('+time >= ?'), params.push(filter.startTime);
    if (filter.endTime !== undefined) conditions.push('+time <= ?'), params.push(filter.endTime);
    if (filter.principal !== undefined) conditions.push('principal = ?'), params.push(filter.principal);
    if (filter.operation !== undefined) conditions.push('operation = ?'), params.push(filter.operation);
    if (filter.outcome !== undefined) conditions.push('outcome = ?'), params.push(filter.outcome);
    const rows = this.sql
      .exec<Row>(`SELECT * FROM audit WHERE ${conditions.join(' AND ')} ORDER BY seq LIMIT ?`, ...params, limit + 1)
      .toArray();
    if (rows.length > limit) {
      const records = rows.slice(0, limit).map(toRecord);
      const resumeAfter = records.length > 0 ? records[records.length - 1]!.sequence : afterSequence;
      return { records, resumeAfter, scanned: resumeAfter - afterSequence };
    }
    const records = rows.map(toRecord);
    const last = this.lastSequence();
    if (last > windowEnd) return { records, resumeAfter: windowEnd, scanned: windowEnd - afterSequence };
    return { records, scanned: Math.max(0, last - afterSequence) };
  }

  /**
   * Recomputes the hashes of up to `budget` records from where `from` left
   * off (the start of the chain without it); names the first record that is
   * missing, edited or out of place.
   */
  verifyPage(from: ChainProgress | undefined, budget: number): ChainVerificationPage {
    let previousHash = from?.previousHash ?? genesisHash(this.source);
    let expected = (from?.afterSequence ?? 0) + 1;
    let verified = 0;
    const fail = (sequence: number, reason: string, requestId?: string): ChainVerificationPage => ({
      source: this.source,
      verified,
      firstInvalid: { sequence, reason, ...(requestId !== undefined && { requestId }) },
    });
    for (const row of this.sql.exec<Row>('SELECT * FROM audit WHERE seq >= ? ORDER BY seq LIMIT ?', expected, budget)) {
      const record = toRecord(row);
      if (record.sequence !== expected) return fail(expected, `record ${expected} is missing`);
      if (record.previousHash !== previousHash) return fail(record.sequence, 'its previous hash does not match the record before it', record.requestId);
      if (recordHash(record.sequence, record, record.previousHash) !== record.hash) {
        return fail(record.sequence, 'its content does not match its hash (edited)', record.requestId);
      }
      previousHash = record.hash;
      expected++;
      verified++;
    }
    if (verified < budget) return { source: this.source, verified };
    return { source: this.source, verified, next: { afterSequence: expected - 1, previousHash } };
  }

  /** The whole chain verified at once; the API verifies in pages (verifyPage), this is for operators and tests. */
  verify(): ChainVerification {
    let records = 0;
    let from: ChainProgress | undefined;
    for (;;) {
      const page = this.verifyPage(from, 10_000);
      records += page.verified;
      if (page.firstInvalid) return { source: this.source, records, valid: false, firstInvalid: page.firstInvalid };
      if (!page.next) return { source: this.source, records, valid: true };
      from = page.next;
    }
  }

  private lastSequence(): number {
    return this.sql.exec<{ last: number | null }>('SELECT MAX(seq) AS last FROM audit').one().last ?? 0;
  }
}
