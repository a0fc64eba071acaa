import { AUDIT_FIELDS, type AuditField } from './record-fields';
import type { AuditRecord, ContextSummary } from './record-hash';

/**
 * An audit record as the API writes it (ListAuditRecords, GetAuditInclusionProof) and back: each
 * field under its wire name (record-fields.ts), times as seconds as the AWS API writes them. The
 * service writes with `toWireRecord`; a verifier reads with `fromWireRecord` and rehashes the
 * result, so both directions live here, next to the hash they must agree with.
 */
export type WireAuditRecord = Record<string, unknown>;

const FIELDS: readonly AuditField[] = AUDIT_FIELDS;

function toWireValue(field: AuditField, value: unknown): unknown {
  if (field.wireAs === 'seconds') return (value as number) / 1000;
  if (field.wireAs === 'summary') {
    const summary = value as ContextSummary;
    return { Sha256: summary.sha256, Bytes: summary.bytes, Pairs: summary.pairs, Keys: summary.keys };
  }
  return value;
}

function fromWireValue(field: AuditField, value: unknown): unknown {
  // Milliseconds written as seconds are a binary fraction: rounding recovers the integer exactly.
  if (field.wireAs === 'seconds') return typeof value === 'number' ? Math.round(value * 1000) : value;
  if (field.wireAs === 'summary') {
    const summary = (value ?? {}) as Record<string, unknown>;
    return { sha256: summary['Sha256'], bytes: summary['Bytes'], pairs: summary['Pairs'], keys: summary['Keys'] };
  }
  return value;
}

export function toWireRecord(record: AuditRecord): WireAuditRecord {
  const wire: WireAuditRecord = {};
  for (const field of FIELDS) {
    const value = record[field.name];
    if (value !== undefined) wire[field.wire] = toWireValue(field, value);
  }
  return wire;
}

/** The record a wire record stands for; its hash is then recomputed by the caller, never trusted. */
export function fromWireRecord(wire: WireAuditRecord): AuditRecord {
  const record: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const value = wire[field.wire];
    if (value !== undefined && value !== null) record[field.name] = fromWireValue(field, value);
  }
  return record as unknown as AuditRecord;
}
