import type { KmsClient } from '../client/client';
import type { RequestOptions } from '../client/types';
import { verifyReceipt, type AuditReceipt, type ReceiptPublicKey, type VerifiedReceipt } from './verify-receipt';

/**
 * Fetches a receipt's inclusion proof through the client and verifies it (verifyReceipt).
 * Pass `publicKey` pinned from an earlier GetReceiptPublicKey, as a verifier should: fetched
 * from the same service in the same breath, it proves less (docs/receipts.md). Without it, the
 * head's own signing key id is fetched.
 */
export async function checkReceipt(
  client: Pick<KmsClient, 'getAuditInclusionProof' | 'getReceiptPublicKey'>,
  receipt: AuditReceipt,
  { publicKey, signal }: { publicKey?: ReceiptPublicKey } & RequestOptions = {},
): Promise<VerifiedReceipt> {
  const options = signal ? { signal } : {};
  const proof = await client.getAuditInclusionProof({ KeyId: receipt.KeyId, ...(receipt.Chain !== undefined && { Chain: receipt.Chain }), Sequence: receipt.Sequence }, options);
  const key = publicKey ?? (await client.getReceiptPublicKey({ SigningKeyId: proof.SignedHead.SigningKeyId }, options));
  return verifyReceipt(receipt, proof, key);
}
