import { asBytes, fromBase64 } from '../bytes';
import { ReceiptVerificationError } from '../errors';
import { genesisHash, recordHash, type AuditRecord } from './record-hash';
import { fromWireRecord, type WireAuditRecord } from './record-wire';
import { fromWireHead, headStatement, type AuditHead, type WireSignedHead } from './signed-head';

/**
 * Client-side verification of an audit receipt: that the service committed, under its published
 * signing key, to the very audit record a cryptographic answer named (docs/receipts.md says what
 * that proves and what it does not). Only WebCrypto's Ed25519 and SHA-256 (record-hash.ts, the
 * hashing the service itself runs), so it runs in browsers, Workers and Node alike.
 */

/** What each cryptographic answer carries (`EdgeKmsReceipt`): the position and hash of its audit record. */
export interface AuditReceipt {
  /** The ARN of the key whose chain holds the record. */
  KeyId: string;
  /** The replica chain that holds the record (`<key id>#<n>`), for a key served by replicas; absent for the key's own chain. */
  Chain?: string;
  Sequence: number;
  RecordHash: string;
}

/** GetAuditInclusionProof's answer: the chain from the receipt's record to a signed head. */
export interface AuditInclusionProof {
  KeyId?: string;
  Records: WireAuditRecord[];
  SignedHead: WireSignedHead;
}

/** GetReceiptPublicKey's answer, or the part of it verification needs: the key id and the SPKI DER (bytes or base64). */
export interface ReceiptPublicKey {
  SigningKeyId: string;
  PublicKey: Uint8Array | string;
}

export interface VerifiedReceipt {
  /** The receipt's audit record, as the service hashed it. */
  record: AuditRecord;
  /** The signed head the record was proven against. */
  head: AuditHead;
}

const HEX_HASH = /^[0-9a-f]{64}$/;
const KEY_ARN = /^arn:[a-z-]+:kms:([a-z0-9-]+):(\d{12}):key\/([A-Za-z0-9-]+)$/;

function fail(reason: string): never {
  throw new ReceiptVerificationError(`receipt does not verify: ${reason}`);
}

function bytesOf(value: Uint8Array | string, what: string): Uint8Array<ArrayBuffer> {
  if (value instanceof Uint8Array) return asBytes(value);
  const bytes = typeof value === 'string' ? fromBase64(value) : undefined;
  return bytes ?? fail(`${what} is neither bytes nor base64`);
}

async function signatureIsValid(head: AuditHead, signature: Uint8Array<ArrayBuffer>, publicKey: Uint8Array<ArrayBuffer>): Promise<boolean> {
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey('spki', publicKey, { name: 'Ed25519' }, false, ['verify']);
  } catch (error) {
    throw new ReceiptVerificationError('receipt does not verify: the public key is not an Ed25519 SPKI key', { cause: error });
  }
  return crypto.subtle.verify({ name: 'Ed25519' }, key, signature, asBytes(headStatement(head)));
}

/**
 * Resolves to the verified record and head, or throws ReceiptVerificationError. Checks, in
 * order: the head is signed by `publicKey` (and names it), the head is of the receipt's key
 * chain, the proof starts at the receipt's record with the receipt's hash, every record's hash
 * is recomputed from its fields and names the one before it, and the last one is the head.
 */
export async function verifyReceipt(receipt: AuditReceipt, proof: AuditInclusionProof, publicKey: ReceiptPublicKey): Promise<VerifiedReceipt> {
  if (!receipt || typeof receipt.KeyId !== 'string' || !Number.isSafeInteger(receipt.Sequence) || receipt.Sequence < 1 || !HEX_HASH.test(String(receipt.RecordHash))) {
    fail('the receipt is malformed');
  }
  if (!proof || !Array.isArray(proof.Records) || proof.Records.length === 0 || !proof.SignedHead) fail('the proof is malformed');
  if (!publicKey || typeof publicKey.SigningKeyId !== 'string') fail('the public key names no signing key id');

  const wireHead = proof.SignedHead;
  const head = fromWireHead(wireHead);
  if (
    typeof head.signingKeyId !== 'string' ||
    typeof head.account !== 'string' ||
    typeof head.region !== 'string' ||
    typeof head.chainId !== 'string' ||
    !Number.isSafeInteger(head.sequence) ||
    !HEX_HASH.test(String(head.hash)) ||
    !Number.isSafeInteger(head.time)
  ) {
    fail('the signed head is malformed');
  }
  if (head.signingKeyId !== publicKey.SigningKeyId) fail(`the head is signed by key ${head.signingKeyId}, not by ${publicKey.SigningKeyId}`);
  const signature = bytesOf(wireHead.Signature, 'the head signature');
  if (!(await signatureIsValid(head, signature, bytesOf(publicKey.PublicKey, 'the public key')))) fail('the head signature is not the service key\'s');

  const arn = KEY_ARN.exec(receipt.KeyId) ?? fail('the receipt names no key ARN');
  const chain = receipt.Chain ?? arn[3];
  if (chain !== arn[3] && !(typeof chain === 'string' && chain.startsWith(`${arn[3]}#`))) fail('the receipt names a chain of another key');
  if (arn[1] !== head.region || arn[2] !== head.account || chain !== head.chainId) fail('the signed head is of another key\'s chain');
  if (proof.KeyId !== undefined && proof.KeyId !== receipt.KeyId) fail('the proof is of another key');

  let previous: AuditRecord | undefined;
  let first: AuditRecord | undefined;
  for (const wire of proof.Records) {
    const record = fromWireRecord(wire ?? {});
    const expected = previous ? previous.sequence + 1 : receipt.Sequence;
    if (record.sequence !== expected) fail(`the proof has record ${String(record.sequence)} where record ${expected} belongs`);
    if (typeof record.previousHash !== 'string' || typeof record.hash !== 'string') fail(`record ${expected} has no hashes`);
    if (previous ? record.previousHash !== previous.hash : expected === 1 && record.previousHash !== genesisHash(head.chainId)) {
      fail(`record ${expected} does not name the record before it`);
    }
    let hash: string;
    try {
      hash = recordHash(record.sequence, record, record.previousHash);
    } catch {
      fail(`record ${expected} cannot be hashed`);
    }
    if (hash !== record.hash) fail(`record ${expected} does not match its hash (edited)`);
    first ??= record;
    previous = record;
  }
  if (first!.hash !== receipt.RecordHash) fail('the proof\'s first record is not the receipt\'s');
  if (previous!.sequence !== head.sequence || previous!.hash !== head.hash) fail('the proof does not end at the signed head');
  return { record: first!, head };
}
