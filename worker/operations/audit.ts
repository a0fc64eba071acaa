import { z } from 'zod';
import { listAccountTrail, verifyAccountTrail, type SourcedRecord, type TrailCursor } from '../audit/account-trail';
import type { ChainVerification } from '../audit/chain';
import { toWireRecord } from '../../sdk/audit/record-wire';
import { decodeVerificationMarker, encodeVerificationMarker, verificationScope } from '../audit/verification-marker';
import { rootKeys } from '../crypto/root-keys';
import { InvalidMarkerException } from '../errors';
import { decodeMarker, encodeMarker } from '../wire/pagination';
import { requireIdentityAllows } from './account-access';
import { callerScope, resolveKey, type OperationContext } from './context';
import { listKeyTrail, verifyKeyTrail } from './replica-audit';
import { defineOperation } from './operation';
import { keyIdField, marker } from './schema';

/**
 * The audit trail API (EdgeKMS's own operations, not AWS KMS ones): records
 * of one key, or of the whole account in the request's region (its own chain,
 * then each key's, in key id order), and verification of the hash chains. Both page: a request does a
 * bounded amount of work (audit/page-budget.ts) and returns a NextMarker to go
 * on from, as ListKeys does, so no request's cost grows with the account.
 */
const filterInput = z.object({
  KeyId: keyIdField.optional(),
  StartTime: z.number().nonnegative().optional(),
  EndTime: z.number().nonnegative().optional(),
  Principal: z.string().min(1).max(2048).optional(),
  Operation: z.string().min(1).max(128).optional(),
  Outcome: z.enum(['Allowed', 'Denied', 'Failed']).optional(),
  Limit: z.number().int().min(1).max(1000).optional(),
  Marker: marker,
});

const invalidMarker = () => new InvalidMarkerException('The Marker is not one this service issued.');

/** A listing marker: the chain (account-wide only) and the sequence number to go on after. */
function parseCursor(text: string | undefined, accountWide: boolean): TrailCursor | undefined {
  const decoded = decodeMarker(text);
  if (decoded === undefined) return undefined;
  let parsed: { c?: unknown; s?: unknown };
  try {
    parsed = JSON.parse(decoded) as typeof parsed;
  } catch {
    throw invalidMarker();
  }
  if (!Number.isSafeInteger(parsed.s) || (parsed.s as number) < 0) throw invalidMarker();
  if (accountWide !== (typeof parsed.c === 'string')) throw invalidMarker();
  return { source: accountWide ? (parsed.c as string) : '', afterSequence: parsed.s as number };
}

function cursorMarker(cursor: TrailCursor, accountWide: boolean): string {
  return encodeMarker(JSON.stringify(accountWide ? { c: cursor.source, s: cursor.afterSequence } : { s: cursor.afterSequence }));
}

/** A record as the API writes it: its fields under their wire names (audit/fields.ts), after the chain it belongs to. */
function wireRecord(record: SourcedRecord) {
  return { Source: record.source, ...toWireRecord(record) };
}

export const ListAuditRecords = defineOperation({
  input: filterInput,
  async run(input, ctx) {
    const limit = input.Limit ?? 100;
    const filter = {
      ...(input.StartTime !== undefined && { startTime: input.StartTime * 1000 }),
      ...(input.EndTime !== undefined && { endTime: input.EndTime * 1000 }),
      ...(input.Principal !== undefined && { principal: input.Principal }),
      ...(input.Operation !== undefined && { operation: input.Operation }),
      ...(input.Outcome !== undefined && { outcome: input.Outcome }),
    };
    if (input.KeyId !== undefined) {
      // Every replica's chain, merged by time (replica-audit.ts); one chain for a key that never had replicas.
      const page = await listKeyTrail(ctx, await resolveKey(ctx, input.KeyId, { aliases: false }), filter, input.Marker, limit);
      return { Records: page.records.map(wireRecord), ...(page.next ? { NextMarker: page.next, Truncated: true } : { Truncated: false }) };
    }
    const cursor = parseCursor(input.Marker, true);
    requireIdentityAllows(ctx, 'kms:ListAuditRecords');
    const page: { records: SourcedRecord[]; next?: TrailCursor } = await listAccountTrail(ctx.env, callerScope(ctx), filter, cursor, limit);
    return {
      Records: page.records.map(wireRecord),
      ...(page.next ? { NextMarker: cursorMarker(page.next, true), Truncated: true } : { Truncated: false }),
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

/** One key's chains (one per replica it ever had), a page of them: the same state and answer as the account's walk. */
async function verifyKeyChain(ctx: OperationContext, reference: string, marker: string | undefined) {
  const access = await resolveKey(ctx, reference, { aliases: false });
  const scope = markerScope(ctx, access.caller.keyAccount ?? ctx.principal.account, access.keyId);
  const state = (await decodeVerificationMarker(rootKeys(ctx.env), scope, marker)) ?? { source: access.keyId, chainRecords: 0, chainsVerified: 0, recordsVerified: 0 };
  return { ...(await verifyKeyTrail(ctx, access, state)), scope };
}

async function verifyAccount(ctx: OperationContext, marker: string | undefined) {
  requireIdentityAllows(ctx, 'kms:VerifyAuditChain');
  const scope = markerScope(ctx, ctx.principal.account);
  const state = await decodeVerificationMarker(rootKeys(ctx.env), scope, marker);
  return { ...(await verifyAccountTrail(ctx.env, callerScope(ctx), state)), scope };
}

/**
 * What a verification marker is sealed to: the account or key it walks, in
 * the request's region, so a marker of one region is refused in another. The
 * default region's scopes are those from before regions (markers in flight
 * stay valid).
 */
function markerScope(ctx: OperationContext, account: string, keyId?: string): string {
  const scope = verificationScope(account, keyId);
  return ctx.region === ctx.env.KMS_REGION ? scope : `${scope} in ${ctx.region}`;
}

/**
 * `Valid` is certain only once it is false (a bad record was found) or the
 * walk has ended; until then a page leaves it out, so that a client reading
 * only the first page cannot take part of the account for all of it.
 */
export const VerifyAuditChain = defineOperation({
  input: z.object({ KeyId: keyIdField.optional(), Marker: marker }),
  async run(input, ctx) {
    const { chains, state, done, scope } = input.KeyId !== undefined ? await verifyKeyChain(ctx, input.KeyId, input.Marker) : await verifyAccount(ctx, input.Marker);
    const bad = state.firstInvalid;
    return {
      ...((done || bad) && { Valid: !bad }),
      ...(bad && {
        FirstInvalidRecord: { Source: bad.source, Sequence: bad.sequence, Reason: bad.reason, ...(bad.requestId !== undefined && { RequestId: bad.requestId }) },
      }),
      Chains: chains.map(wireVerification),
      ChainsVerified: state.chainsVerified,
      RecordsVerified: state.recordsVerified,
      ...(done ? { Truncated: false } : { NextMarker: await encodeVerificationMarker(rootKeys(ctx.env), scope, state), Truncated: true }),
    };
  },
});
