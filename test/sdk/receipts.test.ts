/**
 * verifyReceipt (issue 18, acceptance 3) on proofs built here exactly as the service builds them:
 * the same record hashing (sdk/audit/record-hash.ts, which the service imports too), the same
 * signed-head bytes, an Ed25519 key made for the test. An honest proof passes; an edited,
 * reordered, dropped or foreign record, a forged head signature and a head signed by another key
 * each fail, naming the check. Runs in Node, workerd and Chromium (WebCrypto Ed25519 in each).
 */
import { describe, expect, it } from 'vitest';
import { genesisHash, recordHash, type AuditEntry, type AuditRecord } from '../../sdk/audit/record-hash';
import { toWireRecord, type WireAuditRecord } from '../../sdk/audit/record-wire';
import { headStatement, toWireHead, type AuditHead } from '../../sdk/audit/signed-head';
import { decodeResponse } from '../../sdk/client/codec';
import { ReceiptVerificationError, verifyReceipt, type AuditInclusionProof, type AuditReceipt, type ReceiptPublicKey } from '../../sdk/index';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const CHAIN = '1234abcd-12ab-34cd-56ef-1234567890ab';
const ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${CHAIN}`;

interface ServiceKey {
  privateKey: CryptoKey;
  published: ReceiptPublicKey;
}

async function serviceKey(signingKeyId: string): Promise<ServiceKey> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
  return { privateKey: pair.privateKey, published: { SigningKeyId: signingKeyId, PublicKey: spki } };
}

/** A chain of `length` records as a key's object appends them (worker/audit/chain.ts). */
function chain(length: number, chainId = CHAIN): AuditRecord[] {
  const records: AuditRecord[] = [];
  let previousHash = genesisHash(chainId);
  for (let sequence = 1; sequence <= length; sequence++) {
    const entry: AuditEntry = {
      time: 1767225600000 + sequence * 1234 + 7,
      requestId: `req-${sequence}`,
      principal: `arn:aws:sts::${ACCOUNT}:federated-user/alice`,
      account: ACCOUNT,
      operation: sequence % 2 ? 'kms:Encrypt' : 'kms:Decrypt',
      keyId: chainId,
      keyVersion: 1,
      encryptionContext: { tenant: 'acme', Signature: 'not base64!' },
      outcome: 'Allowed',
      userAgent: 'receipts-test/1',
      ...(sequence === 3 && { encryptionContextSummary: { sha256: 'ab'.repeat(32), bytes: 9000, pairs: 2, keys: ['a', 'b'] }, encryptionContext: undefined }),
    };
    const hash = recordHash(sequence, entry, previousHash);
    records.push({ ...entry, sequence, previousHash, hash });
    previousHash = hash;
  }
  return records;
}

async function signHead(key: ServiceKey, last: AuditRecord, overrides: Partial<AuditHead> = {}) {
  const head: AuditHead = {
    signingKeyId: key.published.SigningKeyId,
    account: ACCOUNT,
    region: REGION,
    chainId: CHAIN,
    sequence: last.sequence,
    hash: last.hash,
    time: 1767225999123,
    ...overrides,
  };
  return toWireHead(head, new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, key.privateKey, headStatement(head))));
}

/** The proof of record `sequence` of `records`, as GetAuditInclusionProof answers it, through the SDK client's codec. */
async function proofOf(key: ServiceKey, records: AuditRecord[], sequence: number): Promise<{ receipt: AuditReceipt; proof: AuditInclusionProof }> {
  const segment = records.slice(sequence - 1);
  const answer = { KeyId: ARN, Records: segment.map(toWireRecord), SignedHead: await signHead(key, segment.at(-1)!) };
  // Over the wire: JSON, the signature as base64, decoded by the client as any answer is.
  const proof = decodeResponse(JSON.parse(JSON.stringify(answer, (_k, v: unknown) => (v instanceof Uint8Array ? btoa(String.fromCharCode(...v)) : v)))) as AuditInclusionProof;
  return { receipt: { KeyId: ARN, Sequence: sequence, RecordHash: records[sequence - 1]!.hash }, proof };
}

async function expectRefused(promise: Promise<unknown>, reason: RegExp) {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error, 'verifyReceipt should have failed').toBeInstanceOf(ReceiptVerificationError);
  expect((error as Error).message).toMatch(reason);
}

const edit = (proof: AuditInclusionProof, index: number, change: (record: WireAuditRecord) => void): AuditInclusionProof => {
  const copy = structuredClone(proof);
  change(copy.Records[index]!);
  return copy;
};

describe('verifyReceipt', () => {
  it('accepts an honest proof, from the first record of a chain and from the middle', async () => {
    const key = await serviceKey('key-1');
    const records = chain(6);
    for (const sequence of [1, 3, 6]) {
      const { receipt, proof } = await proofOf(key, records, sequence);
      const verified = await verifyReceipt(receipt, proof, key.published);
      expect(verified.record).toEqual(records[sequence - 1]);
      expect(verified.head).toMatchObject({ chainId: CHAIN, sequence: 6, hash: records[5]!.hash, account: ACCOUNT, region: REGION });
    }
  });

  it('fails for an edited record: the receipt’s own or a later one, any field', async () => {
    const key = await serviceKey('key-1');
    const { receipt, proof } = await proofOf(key, chain(5), 2);
    await expectRefused(verifyReceipt(receipt, edit(proof, 0, (r) => (r.Principal = 'arn:aws:iam::111122223333:user/mallory')), key.published), /record 2 does not match its hash/);
    await expectRefused(verifyReceipt(receipt, edit(proof, 2, (r) => (r.Outcome = 'Denied')), key.published), /record 4 does not match its hash/);
    await expectRefused(verifyReceipt(receipt, edit(proof, 1, (r) => ((r.EncryptionContextSummary as Record<string, unknown>).Bytes = 1)), key.published), /record 3 does not match/);
    await expectRefused(verifyReceipt(receipt, edit(proof, 0, (r) => (r.Time = (r.Time as number) + 0.001)), key.published), /record 2 does not match/);
    await expectRefused(verifyReceipt(receipt, edit(proof, 0, (r) => delete r.UserAgent), key.published), /record 2 does not match/);
    // Rehashing the edited record does not help: the next record names the old hash.
    const rehashed = edit(proof, 0, (r) => {
      r.Operation = 'kms:Sign';
      r.Hash = recordHash(2, { ...chain(5)[1]!, operation: 'kms:Sign' }, r.PreviousHash as string);
    });
    await expectRefused(verifyReceipt({ ...receipt, RecordHash: rehashed.Records[0]!.Hash as string }, rehashed, key.published), /record 3 does not name the record before it/);
  });

  it('fails for reordered, dropped, repeated or foreign records', async () => {
    const key = await serviceKey('key-1');
    const records = chain(5);
    const { receipt, proof } = await proofOf(key, records, 2);
    const swapped = structuredClone(proof);
    [swapped.Records[1], swapped.Records[2]] = [swapped.Records[2]!, swapped.Records[1]!];
    await expectRefused(verifyReceipt(receipt, swapped, key.published), /record 4 where record 3 belongs/);
    const renumbered = edit(swapped, 1, (r) => (r.Sequence = 3));
    await expectRefused(verifyReceipt(receipt, edit(renumbered, 2, (r) => (r.Sequence = 4)), key.published), /record 3 (does not name|does not match)/);
    const dropped = structuredClone(proof);
    dropped.Records.splice(1, 1);
    await expectRefused(verifyReceipt(receipt, dropped, key.published), /record 4 where record 3 belongs/);
    const repeated = structuredClone(proof);
    repeated.Records.splice(1, 0, repeated.Records[0]!);
    await expectRefused(verifyReceipt(receipt, repeated, key.published), /record 2 where record 3 belongs/);
    // The proof of another record does not prove this receipt.
    const { proof: later } = await proofOf(key, records, 3);
    await expectRefused(verifyReceipt(receipt, later, key.published), /record 3 where record 2 belongs/);
    await expectRefused(verifyReceipt({ ...receipt, RecordHash: records[2]!.hash }, proof, key.published), /first record is not the receipt/);
    // A segment cut short of the head: the head is not where the proof ends.
    const short = structuredClone(proof);
    short.Records.pop();
    await expectRefused(verifyReceipt(receipt, short, key.published), /does not end at the signed head/);
    // A record from the same place of another key's chain.
    const foreign = await proofOf(key, chain(5, 'ffffffff-12ab-34cd-56ef-1234567890ab'), 1);
    await expectRefused(verifyReceipt({ ...foreign.receipt }, foreign.proof, key.published), /record 1 does not name the record before it/);
  });

  it('fails for a forged head signature, a head signed by another key, and a head of another chain', async () => {
    const key = await serviceKey('key-1');
    const records = chain(4);
    const { receipt, proof } = await proofOf(key, records, 2);
    const flipped = structuredClone(proof);
    (flipped.SignedHead.Signature as Uint8Array)[10]! ^= 1;
    await expectRefused(verifyReceipt(receipt, flipped, key.published), /not the service key/);
    // The head's fields are what is signed: a head moved along the chain no longer verifies.
    const moved = structuredClone(proof);
    moved.SignedHead.Sequence = 3;
    moved.SignedHead.Hash = records[2]!.hash;
    moved.Records.pop();
    await expectRefused(verifyReceipt(receipt, moved, key.published), /not the service key/);
    const retimed = structuredClone(proof);
    retimed.SignedHead.Time += 1;
    await expectRefused(verifyReceipt(receipt, retimed, key.published), /not the service key/);

    // Signed by another key: under its own id, and under the published key's id.
    const impostor = await serviceKey('key-2');
    const byImpostor = { ...proof, SignedHead: await signHead(impostor, records[3]!) };
    await expectRefused(verifyReceipt(receipt, byImpostor, key.published), /signed by key key-2, not by key-1/);
    const disguised = { ...proof, SignedHead: await signHead(impostor, records[3]!, { signingKeyId: 'key-1' }) };
    await expectRefused(verifyReceipt(receipt, disguised, key.published), /not the service key/);
    // ...and the other key's own public key does not make it the service's.
    await expect(verifyReceipt(receipt, byImpostor, impostor.published)).resolves.toBeDefined();

    // A correctly signed head of another key, account or region is not this receipt's.
    for (const other of [{ chainId: 'ffffffff-12ab-34cd-56ef-1234567890ab' }, { account: '999999999999' }, { region: 'us-east-1' }]) {
      const elsewhere = { ...proof, SignedHead: await signHead(key, records[3]!, other) };
      await expectRefused(verifyReceipt(receipt, elsewhere, key.published), /another key's chain/);
    }
    // A receipt naming a replica chain takes only that chain's head, and only a chain of its own key.
    await expectRefused(verifyReceipt({ ...receipt, Chain: `${proof.SignedHead.ChainId}#2` }, proof, key.published), /another key's chain/);
    await expectRefused(verifyReceipt({ ...receipt, Chain: 'ffffffff-12ab-34cd-56ef-1234567890ab#2' }, proof, key.published), /chain of another key/);
  });

  it('refuses malformed inputs with ReceiptVerificationError, never a pass', async () => {
    const key = await serviceKey('key-1');
    const { receipt, proof } = await proofOf(key, chain(2), 1);
    await expectRefused(verifyReceipt({ ...receipt, Sequence: 0 }, proof, key.published), /receipt is malformed/);
    await expectRefused(verifyReceipt({ ...receipt, RecordHash: 'xyz' }, proof, key.published), /receipt is malformed/);
    await expectRefused(verifyReceipt({ ...receipt, KeyId: CHAIN }, proof, key.published), /no key ARN/);
    await expectRefused(verifyReceipt(receipt, { ...proof, Records: [] }, key.published), /proof is malformed/);
    await expectRefused(verifyReceipt(receipt, { ...proof, SignedHead: { ...proof.SignedHead, Hash: 'nope' } }, key.published), /head is malformed/);
    await expectRefused(verifyReceipt(receipt, { ...proof, SignedHead: { ...proof.SignedHead, Signature: '***' } }, key.published), /neither bytes nor base64/);
    await expectRefused(verifyReceipt(receipt, proof, { ...key.published, PublicKey: new Uint8Array(44) }), /not an Ed25519 SPKI key/);
    // Base64 strings, as an answer read without the SDK's client has them, verify the same.
    const spki = key.published.PublicKey as Uint8Array;
    await expect(verifyReceipt(receipt, proof, { ...key.published, PublicKey: btoa(String.fromCharCode(...spki)) })).resolves.toBeDefined();
  });
});
