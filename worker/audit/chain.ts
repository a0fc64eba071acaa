import { AUDIT_FIELDS, auditColumn, type AuditField } from './fields';
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

type Row = Record<string, SqlStorageValue>;

const FIELDS: readonly AuditField[] = AUDIT_FIELDS;

/** The audit table, its columns read from fields.ts; the sequence number is its key. */
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS audit (${FIELDS.map(
  (field) => `${field.column} ${field.type}${field.name === 'sequence' ? ' PRIMARY KEY' : field.required ? ' NOT NULL' : ''}`,
).join(', ')})`;

const SEQ = auditColumn('sequence');

const INSERT = `INSERT INTO audit (${FIELDS.map((field) => field.column).join(', ')}) VALUES (${FIELDS.map(() => '?').join(', ')})`;

function toColumn(field: AuditField, value: unknown): SqlStorageValue {
  if (value === undefined) return null;
  return field.json ? JSON.stringify(value) : (value as SqlStorageValue);
}

function toRecord(row: Row): AuditRecord {
  const record: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const stored = row[field.column];
    if (stored === null || stored === undefined) continue;
    record[field.name] = field.json ? JSON.parse(stored as string) : stored;
  }
  return record as unknown as AuditRecord;
}

export class AuditChain {
  private head: { sequence: number; hash: string } | undefined;

  constructor(
    private readonly sql: SqlStorage,
    /** Names the chain (a key id, or `account:<id>`); part of its first hash. */
    readonly source: string,
  ) {
    sql.exec(CREATE_TABLE);
    // A chain created before some optional field existed (throttled-request counts, context summaries) gains its column.
    const columns = new Set(sql.exec<{ name: string }>('PRAGMA table_info(audit)').toArray().map((column) => column.name));
    for (const field of FIELDS) {
      if (!columns.has(field.column) && !field.required) sql.exec(`ALTER TABLE audit ADD COLUMN ${field.column} ${field.type}`);
    }
    // Earlier releases kept an index on time that no query used (page() filters within a sequence range); a
    // no-op once dropped, and dropping it frees its pages in the same storage transaction as the constructor.
    sql.exec('DROP INDEX IF EXISTS audit_by_time');
  }

  private readHead(): { sequence: number; hash: string } {
    const last = this.sql.exec<{ seq: number; hash: string }>(`SELECT ${SEQ} AS seq, ${auditColumn('hash')} AS hash FROM audit ORDER BY ${SEQ} DESC LIMIT 1`).toArray()[0];
    return last ? { sequence: last.seq, hash: last.hash } : { sequence: 0, hash: genesisHash(this.source) };
  }

  append(entry: AuditEntry): AuditRecord {
    this.head ??= this.readHead();
    const sequence = this.head.sequence + 1;
    const previousHash = this.head.hash;
    const hash = recordHash(sequence, entry, previousHash);
    const record: AuditRecord = { ...entry, sequence, previousHash, hash };
    this.sql.exec(INSERT, ...FIELDS.map((field) => toColumn(field, record[field.name])));
    this.head = { sequence, hash };
    return record;
  }

  /**
   * Records after sequence `afterSequence` that pass the filter, in sequence
   * order: at most `limit` of them, from at most `scanBudget` sequence numbers.
   * The budget bounds the work however few records match, so a filter that
   * matches nothing still returns, with the place to go on from.
   */
  page(filter: AuditFilter, afterSequence: number, limit: number, scanBudget: number): ChainPage {
    const windowEnd = afterSequence + Math.max(1, scanBudget);
    const conditions = [`${SEQ} > ?`, `${SEQ} <= ?`];
    const params: SqlStorageValue[] = [afterSequence, windowEnd];
    // Only the sequence range is indexed (the primary key), so SQLite reads no more than the budget's rows.
    if (filter.startTime !== undefined) conditions.push(`${auditColumn('time')} >= ?`), params.push(filter.startTime);
    if (filter.endTime !== undefined) conditions.push(`${auditColumn('time')} <= ?`), params.push(filter.endTime);
    if (filter.principal !== undefined) conditions.push(`${auditColumn('principal')} = ?`), params.push(filter.principal);
    if (filter.operation !== undefined) conditions.push(`${auditColumn('operation')} = ?`), params.push(filter.operation);
    if (filter.outcome !== undefined) conditions.push(`${auditColumn('outcome')} = ?`), params.push(filter.outcome);
    const rows = this.sql
      .exec<Row>(`SELECT * FROM audit WHERE ${conditions.join(' AND ')} ORDER BY ${SEQ} LIMIT ?`, ...params, limit + 1)
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

  /** Up to `limit` records from `fromSequence` on, in order: the chain segment of an inclusion proof (key-object/audit-proof.ts). */
  segment(fromSequence: number, limit: number): AuditRecord[] {
    return this.sql.exec<Row>(`SELECT * FROM audit WHERE ${SEQ} >= ? ORDER BY ${SEQ} LIMIT ?`, fromSequence, limit).toArray().map(toRecord);
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
    for (const row of this.sql.exec<Row>(`SELECT * FROM audit WHERE ${SEQ} >= ? ORDER BY ${SEQ} LIMIT ?`, expected, budget)) {
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
    return this.sql.exec<{ last: number | null }>(`SELECT MAX(${SEQ}) AS last FROM audit`).one().last ?? 0;
  }
}
