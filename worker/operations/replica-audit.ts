import type { SourcedRecord, VerificationState } from '../audit/account-trail';
import type { AuditFilter, ChainPage, ChainProgress, ChainVerification, ChainVerificationPage } from '../audit/chain';
import { AUDIT_PAGE_SCAN, AUDIT_PAGE_VERIFY } from '../audit/page-budget';
import { InvalidMarkerException } from '../errors';
import { unwrap } from '../result';
import { keyReplica } from '../stubs';
import { decodeMarker, encodeMarker } from '../wire/pagination';
import type { keyInAccount, OperationContext } from './context';

/**
 * One key's audit trail when replicas serve it (docs/replicas.md): each
 * replica appends to a chain of its own (`<key id>#<index>`; replica 0's is
 * the key id, as before replicas), because a chain has one writer. Listing
 * merges them by time, ties in replica order, so the merge is stable;
 * verification walks every chain and names the chain and record that fails.
 * Replica 0 decides whether the caller may read the trail (its policy is the
 * key's), and says how many chains there are: every replica the key ever had,
 * retired ones too, whose chains outlive them.
 */
type KeyAccess = Awaited<ReturnType<typeof keyInAccount>>;

const chainName = (keyId: string, index: number) => (index === 0 ? keyId : `${keyId}#${index}`);
const invalidMarker = () => new InvalidMarkerException('The Marker is not one this service issued.');

/** A listing marker of a key: `{ s }` (replica 0's place, as before replicas) and `{ r }`, the places in the other chains. */
function parseCursors(text: string | undefined): number[] {
  const decoded = decodeMarker(text);
  if (decoded === undefined) return [];
  let parsed: { c?: unknown; s?: unknown; r?: unknown };
  try {
    parsed = JSON.parse(decoded) as typeof parsed;
  } catch {
    throw invalidMarker();
  }
  const places = [parsed.s, ...(Array.isArray(parsed.r) ? (parsed.r as unknown[]) : [])];
  if (parsed.c !== undefined || (parsed.r !== undefined && !Array.isArray(parsed.r)) || places.length > 16) throw invalidMarker();
  if (!places.every((place) => Number.isSafeInteger(place) && (place as number) >= 0)) throw invalidMarker();
  return places as number[];
}

function cursorsMarker(places: number[]): string {
  return encodeMarker(JSON.stringify(places.length > 1 ? { s: places[0], r: places.slice(1) } : { s: places[0] }));
}

export async function listKeyTrail(ctx: OperationContext, access: KeyAccess, filter: AuditFilter, marker: string | undefined, limit: number) {
  const { keyId, key, caller } = access;
  const places = parseCursors(marker);
  // Replica 0 first: it authorizes the caller and records the request.
  const first = unwrap(await key.listAudit(caller, filter, places[0] ?? 0, limit, AUDIT_PAGE_SCAN));
  const chains = await key.auditChains();
  // A marker naming more chains than the key has is not one this service issued; reading them would create empty objects.
  if (places.length > chains) throw invalidMarker();
  const account = caller.keyAccount ?? ctx.principal.account;
  const others = await Promise.all(
    Array.from({ length: chains - 1 }, (_, offset) =>
      keyReplica(ctx.env, ctx.region, keyId, offset + 1).accountAuditPage(account, filter, places[offset + 1] ?? 0, limit, AUDIT_PAGE_SCAN),
    ),
  );
  const pages: ChainPage[] = [first, ...others.map((page) => page ?? { records: [], scanned: 0 })];
  return mergePages(keyId, pages, places, limit);
}

/**
 * A k-way merge by (time, replica index). A chain whose page stopped short
 * (resumeAfter) may hold unseen records from the time of the last record it
 * returned on (or from any time, if it returned none): no record of another
 * chain that could come after one of those is taken on this page.
 */
export function mergePages(keyId: string, pages: ChainPage[], places: number[], limit: number): { records: SourcedRecord[]; next?: string } {
  const bounds = pages.map((page) => (page.resumeAfter === undefined ? Infinity : (page.records.at(-1)?.time ?? -Infinity)));
  const mayTake = (index: number, time: number) =>
    pages.every((page, other) => other === index || page.resumeAfter === undefined || time < bounds[other]! || (time === bounds[other] && index < other));
  const taken = pages.map(() => 0);
  const records: SourcedRecord[] = [];
  while (records.length < limit) {
    let best: number | undefined;
    for (let index = 0; index < pages.length; index++) {
      const head = pages[index]!.records[taken[index]!];
      if (!head || !mayTake(index, head.time)) continue;
      const current = best === undefined ? undefined : pages[best]!.records[taken[best]!]!;
      if (!current || head.time < current.time) best = index;
    }
    if (best === undefined) break;
    records.push({ ...pages[best]!.records[taken[best]!]!, source: chainName(keyId, best) });
    taken[best]!++;
  }
  let more = false;
  const nextPlaces = pages.map((page, index) => {
    const count = taken[index]!;
    if (count < page.records.length) {
      more = true;
      return count > 0 ? page.records[count - 1]!.sequence : (places[index] ?? 0);
    }
    if (page.resumeAfter !== undefined) {
      more = true;
      return page.resumeAfter;
    }
    return count > 0 ? page.records[count - 1]!.sequence : (places[index] ?? 0);
  });
  return more ? { records, next: cursorsMarker(nextPlaces) } : { records };
}

/** Which chain of the key a verification state names: its replica index. */
function chainIndex(keyId: string, source: string): number {
  if (source === keyId) return 0;
  const index = source.startsWith(`${keyId}#`) ? Number(source.slice(keyId.length + 1)) : NaN;
  if (!Number.isSafeInteger(index) || index < 1 || index > 15) throw invalidMarker();
  return index;
}

/**
 * Verifies the key's chains in replica order from `state` on, as far as one
 * request's budget goes. Replica 0 authorizes every page: by verifying its
 * own chain, or (when the walk is past it) by admitting the action.
 */
export async function verifyKeyTrail(ctx: OperationContext, access: KeyAccess, state: VerificationState) {
  const { keyId, key, caller } = access;
  let { progress, chainRecords, chainsVerified, recordsVerified, firstInvalid } = state;
  let index = chainIndex(keyId, state.source);
  if (index > 0) unwrap(await key.admitAction(caller, 'kms:VerifyAuditChain', 'anyState'));
  const account = caller.keyAccount ?? ctx.principal.account;
  let chains = index === 0 ? undefined : await key.auditChains();
  if (chains !== undefined && index >= chains) throw invalidMarker();
  let budget = AUDIT_PAGE_VERIFY;
  const finished: ChainVerification[] = [];
  const snapshot = (): VerificationState => ({
    source: chainName(keyId, index),
    ...(progress && { progress }),
    chainRecords,
    chainsVerified,
    recordsVerified,
    ...(firstInvalid && { firstInvalid }),
  });
  for (;;) {
    const page: ChainVerificationPage | undefined =
      index === 0
        ? unwrap(await key.verifyAudit(caller, progress, budget))
        : await keyReplica(ctx.env, ctx.region, keyId, index).accountAuditVerify(account, progress as ChainProgress | undefined, budget);
    const verified = page?.verified ?? 0;
    budget -= verified;
    chainRecords += verified;
    recordsVerified += verified;
    if (page?.next) {
      progress = page.next;
      if (budget <= 0) return { chains: finished, state: snapshot(), done: false };
      continue;
    }
    const name = chainName(keyId, index);
    finished.push({ source: name, records: chainRecords, valid: !page?.firstInvalid, ...(page?.firstInvalid && { firstInvalid: page.firstInvalid }) });
    chainsVerified++;
    if (page?.firstInvalid && !firstInvalid) firstInvalid = { source: name, ...page.firstInvalid };
    chains ??= await key.auditChains();
    index++;
    progress = undefined;
    chainRecords = 0;
    if (index >= chains) return { chains: finished, state: { ...snapshot(), source: keyId }, done: true };
    if (budget <= 0) return { chains: finished, state: snapshot(), done: false };
  }
}
