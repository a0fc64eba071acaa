import type { AuditChain } from '../audit/chain';
import type { AuditRecord } from '../audit/record';
import type { AuditHead } from '../../sdk/audit/signed-head';
import type { Bindings } from '../env';
import { NotFoundException } from '../errors';
import { unwrap } from '../result';
import { auditLog } from '../stubs';
import type { KeyRecord } from './key-record';

/**
 * The inclusion proof of one record of this key's audit chain: the chain segment from the
 * record to a head, and that head signed with the account's service key (docs/receipts.md).
 * A hash chain's segment is its inclusion proof: each record's hash covers the one before, so
 * the signed head commits to every record up to it, and a verifier rehashes the segment.
 *
 * The head is signed here, over what this object read from its own chain, by the account's
 * AuditLog object, which holds the signing key (audit/receipt-signer.ts): one key per account
 * and region to publish and rotate, and no key material in any key's object. The extra call is
 * paid only by the proof request, never by the cryptographic answers.
 */
export interface InclusionProof {
  records: AuditRecord[];
  head: AuditHead;
  signature: Uint8Array;
}

/**
 * A proof covers at most this many records; past them the head is the last one it returns, a
 * signed point of the chain rather than its newest record, so a request's work stays bounded.
 */
export const PROOF_RECORDS = 1000;

export async function inclusionProof(env: Bindings, record: KeyRecord, chain: AuditChain, sequence: number): Promise<InclusionProof> {
  // Read before any await: the segment and its head are one moment of the chain.
  const records = chain.segment(sequence, PROOF_RECORDS);
  if (records[0]?.sequence !== sequence) throw new NotFoundException(`The audit chain of key ${record.keyId} has no record ${sequence}.`);
  const last = records[records.length - 1]!;
  const scope = { account: record.account, region: record.region };
  const signed = unwrap(await auditLog(env, scope).signAuditHead(scope, { chainId: chain.source, sequence: last.sequence, hash: last.hash, time: Date.now() }));
  return { records, ...signed };
}
