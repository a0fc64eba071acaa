import { z } from 'zod';
import { accountAuditSource } from '../audit/audit-log';
import type { AuditPosition, ChainVerification } from '../audit/chain';
import type { AuditRecord } from '../audit/record';
import { InvalidMarkerException } from '../errors';
import { unwrap } from '../result';
import { decodeMarker, encodeMarker } from '../wire/pagination';
import { requireAccountAdmin } from './account-access';
import { onKey, type OperationContext } from './context';
import { auditLog, directory, keyObject } from '../stubs';
import { defineOperation } from './operation';
import { keyIdField } from './schema';

/**
 * The audit trail API (EdgeKMS's own operations, not AWS KMS ones):
 * records of one key, or of the whole account (the account's chain merged
 * with every key's, in time order), and verification of the hash chains.
 */
const filterInput = z.object({
  KeyId: keyIdField.optional(),
  StartTime: z.number().nonnegative().optional(),
  EndTime: z.number().nonnegative().optional(),
  Principal: z.string().min(1).max(2048).optional(),
  Operation: z.string().min(1).max(128).optional(),
  Outcome: z.enum(['Allowed', 'Denied', 'Failed']).optional(),
  Limit: z.number().int().min(1).max(1000).optional(),
  Marker: z.string().min(1).max(1024).optional(),
});

type Sourced = AuditRecord & { source: string };

function parsePosition(marker: string | undefined): AuditPosition | undefined {
  const text = decodeMarker(marker);
  if (text === undefined) return undefined;
  try {
    const { time, source, sequence } = JSON.parse(text) as AuditPosition;
    if (typeof time === 'number' && typeof source === 'string' && Number.isInteger(sequence)) return { time, source, sequence };
  } catch {
    // fall through
  }
  throw new InvalidMarkerException('The Marker is not one this service issued.');
}

const order = (a: Sourced, b: Sourced) => a.time - b.time || (a.source < b.source ? -1 : a.source > b.source ? 1 : a.sequence - b.sequence);

function wireRecord(record: Sourced) {
  return {
    Source: record.source,
    Sequence: record.sequence,
    Time: record.time / 1000,
    RequestId: record.requestId,
    Principal: record.principal,
    Account: record.account,
    Operation: record.operation,
    ...(record.keyId !== undefined && { KeyId: record.keyId }),
    ...(record.keyVersion !== undefined && { KeyVersion: record.keyVersion }),
    ...(record.encryptionContext !== undefined && { EncryptionContext: record.encryptionContext }),
    Outcome: record.outcome,
    ...(record.errorName !== undefined && { ErrorName: record.errorName }),
    ...(record.sourceIp !== undefined && { SourceIp: record.sourceIp }),
    ...(record.userAgent !== undefined && { UserAgent: record.userAgent }),
    ...(record.count !== undefined && { Count: record.count }),
    ...(record.windowStart !== undefined && { WindowStart: record.windowStart / 1000 }),
    PreviousHash: record.previousHash,
    Hash: record.hash,
  };
}

async function accountSources(ctx: OperationContext): Promise<string[]> {
  return directory(ctx.env, ctx.principal.account).auditedKeyIds();
}

export const ListAuditRecords = defineOperation({
  input: filterInput,
  async run(input, ctx) {
    const limit = input.Limit ?? 100;
    const after = parsePosition(input.Marker);
    const filter = {
      ...(input.StartTime !== undefined && { startTime: input.StartTime * 1000 }),
      ...(input.EndTime !== undefined && { endTime: input.EndTime * 1000 }),
      ...(input.Principal !== undefined && { principal: input.Principal }),
      ...(input.Operation !== undefined && { operation: input.Operation }),
      ...(input.Outcome !== undefined && { outcome: input.Outcome }),
    };
    let records: Sourced[];
    if (input.KeyId !== undefined) {
      const found = unwrap(await onKey(ctx, input.KeyId, (key, caller) => key.listAudit(caller, filter, after, limit + 1)));
      records = found.map((record) => ({ ...record, source: record.keyId! }));
    } else {
      requireAccountAdmin(ctx.principal, 'kms:ListAuditRecords');
      const account = ctx.principal.account;
      const accountSource = accountAuditSource(account);
      const perKey = await Promise.all(
        (await accountSources(ctx)).map(async (keyId) =>
          (await keyObject(ctx.env, keyId).accountAuditQuery(account, filter, after, limit + 1)).map((record) => ({ ...record, source: keyId })),
        ),
      );
      const own = (await auditLog(ctx.env, account).query(account, filter, after, limit + 1)).map((record) => ({ ...record, source: accountSource }));
      records = [...own, ...perKey.flat()].sort(order);
    }
    const page = records.slice(0, limit);
    const last = page[page.length - 1];
    return {
      Records: page.map(wireRecord),
      ...(records.length > limit && last
        ? { NextMarker: encodeMarker(JSON.stringify({ time: last.time, source: last.source, sequence: last.sequence })), Truncated: true }
        : { Truncated: false }),
    };
  },
});

function wireVerification(chain: ChainVerification) {
  return {
    Source: chain.source,
    Records: chain.records,
    Valid: chain.valid,
    ...(chain.firstInvalid && {
      FirstInvalidRecord: {
        Sequence: chain.firstInvalid.sequence,
        Reason: chain.firstInvalid.reason,
        ...(chain.firstInvalid.requestId !== undefined && { RequestId: chain.firstInvalid.requestId }),
      },
    }),
  };
}

export const VerifyAuditChain = defineOperation({
  input: z.object({ KeyId: keyIdField.optional() }),
  async run(input, ctx) {
    let chains: ChainVerification[];
    if (input.KeyId !== undefined) {
      chains = [unwrap(await onKey(ctx, input.KeyId, (key, caller) => key.verifyAudit(caller)))];
    } else {
      requireAccountAdmin(ctx.principal, 'kms:VerifyAuditChain');
      const account = ctx.principal.account;
      const perKey = await Promise.all((await accountSources(ctx)).map((keyId) => keyObject(ctx.env, keyId).accountAuditVerify(account)));
      chains = [await auditLog(ctx.env, account).verify(account), ...perKey.filter((chain) => chain !== undefined)];
    }
    return { Valid: chains.every((chain) => chain.valid), Chains: chains.map(wireVerification) };
  },
});
