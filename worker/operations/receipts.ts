import { z } from 'zod';
import type { AuditReceipt } from '../audit/request-note';
import { toWireRecord } from '../../sdk/audit/record-wire';
import { toWireHead } from '../../sdk/audit/signed-head';
import { unwrap } from '../result';
import { MAX_REPLICAS } from '../key-object/replica-count';
import { ValidationException } from '../errors';
import { auditLog, keyReplica } from '../stubs';
import { keyArn } from '../wire/key-reference';
import { callerScope, resolveKey, type OperationContext } from './context';
import { defineOperation, type Operation } from './operation';
import { keyIdField } from './schema';

/**
 * Verifiable receipts (docs/receipts.md), EdgeKMS's own operations: each cryptographic answer
 * names its audit record (`EdgeKmsReceipt`), GetAuditInclusionProof proves that record against
 * a head of the key's chain signed with the account's service key, and GetReceiptPublicKey
 * publishes that key. The SDK's verifyReceipt checks all three together.
 */

/** The answers that carry a receipt: those that use a key's material. */
export const RECEIPT_OPERATIONS: ReadonlySet<string> = new Set([
  'Encrypt',
  'Decrypt',
  'ReEncrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'DeriveSharedSecret',
  'Sign',
  'Verify',
  'GenerateMac',
  'VerifyMac',
]);

function wireReceipt(receipt: AuditReceipt) {
  // Chain: present only for a replica's chain (a key with edgekms:Replicas), which GetAuditInclusionProof then reads.
  return { KeyId: keyArn(receipt, receipt.keyId), ...(receipt.chain !== receipt.keyId && { Chain: receipt.chain }), Sequence: receipt.sequence, RecordHash: receipt.hash };
}

/**
 * The answer with its receipts: `EdgeKmsReceipt` for the record of the key the answer names
 * (`KeyId`), and for a ReEncrypt `EdgeKmsSourceReceipt` for the source key's (its first record:
 * a ReEncrypt onto the same key records the source half first). AWS's clients read only the
 * members their model knows, so the extra members reach EdgeKMS's clients alone.
 */
export function withReceipts(output: unknown, ctx: OperationContext): unknown {
  if (typeof output !== 'object' || output === null) return output;
  const answer = output as Record<string, unknown>;
  const receipts = ctx.audit.receipts.map(wireReceipt);
  const destination = receipts.findLast((receipt) => receipt.KeyId === answer['KeyId']);
  const source = answer['SourceKeyId'] === undefined ? undefined : receipts.find((receipt) => receipt.KeyId === answer['SourceKeyId']);
  return { ...answer, ...(destination && { EdgeKmsReceipt: destination }), ...(source && { EdgeKmsSourceReceipt: source }) };
}

/** Each operation named in RECEIPT_OPERATIONS, with its receipts added to its answer. */
export function receiptedOperations(operations: Record<string, Operation>): Record<string, Operation> {
  return Object.fromEntries(
    Object.entries(operations).map(([name, operation]) => [
      name,
      RECEIPT_OPERATIONS.has(name) ? { input: operation.input, run: async (input, ctx) => withReceipts(await operation.run(input, ctx), ctx) } : operation,
    ]),
  ) as Record<string, Operation>;
}

/**
 * The account's receipt signing key in the request's region. A public key: any signed-in caller
 * of the account may read it (no policy decides it), so that whoever holds a receipt can check it.
 */
export const GetReceiptPublicKey = defineOperation({
  input: z.object({ SigningKeyId: z.string().min(1).max(128).optional() }),
  async run(input, ctx) {
    const scope = callerScope(ctx);
    const key = unwrap(await auditLog(ctx.env, scope).receiptPublicKey(scope, input.SigningKeyId));
    return {
      SigningKeyId: key.signingKeyId,
      SigningAlgorithm: 'ED25519',
      PublicKey: key.publicKey,
      Jwk: key.jwk,
      Account: key.account,
      Region: key.region,
      CreationDate: key.createdAt / 1000,
    };
  },
});

/** The replica whose chain `<key id>#<n>` is; any other name is no chain of the key. */
function replicaOfChain(keyId: string, chain: string): number {
  const match = /^(.+)#([1-9][0-9]?)$/.exec(chain);
  const replica = match && match[1] === keyId ? Number(match[2]) : NaN;
  if (!(replica >= 1 && replica < MAX_REPLICAS)) throw new ValidationException(`Chain ${chain} is not an audit chain of key ${keyId}.`);
  return replica;
}

/**
 * The chain of a key from the record at `Sequence` to a signed head. It discloses the records
 * after the receipt's, so it is authorized as ListAuditRecords on the key (the key object's
 * auditInclusionProof) and recorded in the key's chain as GetAuditInclusionProof.
 */
export const GetAuditInclusionProof = defineOperation({
  input: z.object({
    KeyId: keyIdField,
    Chain: z.string().max(200).optional(),
    Sequence: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  }),
  async run(input, ctx) {
    const { key, keyId, caller } = await resolveKey(ctx, input.KeyId, { aliases: false });
    // A receipt of a key's replica names that replica's chain; its object holds it (stubs.ts keyReplica).
    const replica = input.Chain === undefined || input.Chain === keyId ? 0 : replicaOfChain(keyId, input.Chain);
    const holder = replica === 0 ? key : keyReplica(ctx.env, ctx.region, keyId, replica);
    const proof = unwrap(await holder.auditInclusionProof(caller, input.Sequence));
    return {
      KeyId: keyArn(proof.head, keyId),
      Records: proof.records.map(toWireRecord),
      SignedHead: toWireHead(proof.head, proof.signature),
    };
  },
});
