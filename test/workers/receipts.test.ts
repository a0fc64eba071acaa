import { env, runInDurableObject, SELF } from 'cloudflare:test';
import { bytesToHex } from '@noble/hashes/utils.js';
import { calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import { checkReceipt } from '../../sdk/audit/check-receipt';
import { recordHash } from '../../sdk/audit/record-hash';
import { AuditChain } from '../../worker/audit/chain';
import { rootKeys } from '../../worker/crypto/root-keys';
import { sealedUnder, unseal } from '../../worker/crypto/sealing';
import { ReceiptSigner } from '../../worker/audit/receipt-signer';
import { headStatement } from '../../sdk/audit/signed-head';
import { verifyReceipt, type AuditReceipt } from '../../sdk/audit/verify-receipt';
import { b64, keyStub, mintToken, sdkClient, utf8 } from './helpers';

/**
 * Verifiable receipts (issue 18, docs/receipts.md) against the real Worker and its objects:
 * every cryptographic answer names its audit record, the proof of that record ends at a head
 * signed by the account's published service key, and verifyReceipt (the SDK's) accepts the
 * honest proof and refuses one whose stored record was edited afterwards.
 */
const ACCOUNT = '717171717171';
const OTHER_ACCOUNT = '727272727272';
const REGION = 'us-east-1';
const adminOf = (account = ACCOUNT) => mintToken({ sub: 'receipts-admin', account, groups: ['kms-admin'] });

async function call(token: string, operation: string, body: unknown) {
  const response = await SELF.fetch(`https://kms.test/v1/${operation}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, requestId: response.headers.get('x-amzn-requestid')!, body: (await response.json()) as Record<string, any> };
}

async function succeeds(token: string, operation: string, body: unknown) {
  const answer = await call(token, operation, body);
  expect(answer.body, `${operation}: ${JSON.stringify(answer.body)}`).not.toHaveProperty('__type');
  return answer;
}

async function newKey(token: string, body: Record<string, unknown> = {}): Promise<string> {
  return (await succeeds(token, 'CreateKey', body)).body.KeyMetadata.KeyId;
}

/** The record a receipt names, as ListAuditRecords shows it. */
async function recordOf(token: string, receipt: AuditReceipt) {
  const page = await succeeds(token, 'ListAuditRecords', { KeyId: receipt.KeyId.split('/')[1], Limit: 1000 });
  return page.body.Records.find((record: Record<string, unknown>) => record.Sequence === receipt.Sequence);
}

/** Every answer's receipt must name the record of that very request, by position and hash. */
async function expectReceiptOf(token: string, answer: { requestId: string; body: Record<string, any> }, member = 'EdgeKmsReceipt') {
  const receipt = answer.body[member] as AuditReceipt;
  expect(receipt, member).toEqual({ KeyId: expect.stringMatching(/^arn:aws:kms:/), Sequence: expect.any(Number), RecordHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  const record = await recordOf(token, receipt);
  expect(record).toMatchObject({ RequestId: answer.requestId, Hash: receipt.RecordHash, Outcome: 'Allowed' });
  return receipt;
}

describe('receipts on cryptographic answers', () => {
  it('names the audit record of each symmetric operation, and both records of a ReEncrypt', async () => {
    const admin = await adminOf();
    const keyId = await newKey(admin);
    const other = await newKey(admin);
    const arn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`;
    const encrypted = await succeeds(admin, 'Encrypt', { KeyId: keyId, Plaintext: b64(utf8('receipt me')), EncryptionContext: { purpose: 'receipts' } });
    expect((await expectReceiptOf(admin, encrypted)).KeyId).toBe(arn);
    await expectReceiptOf(admin, await succeeds(admin, 'Decrypt', { CiphertextBlob: encrypted.body.CiphertextBlob, EncryptionContext: { purpose: 'receipts' } }));
    await expectReceiptOf(admin, await succeeds(admin, 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' }));
    await expectReceiptOf(admin, await succeeds(admin, 'GenerateDataKeyWithoutPlaintext', { KeyId: keyId, NumberOfBytes: 32 }));
    await expectReceiptOf(admin, await succeeds(admin, 'GenerateDataKeyPair', { KeyId: keyId, KeyPairSpec: 'ECC_NIST_P256' }));

    const reEncrypted = await succeeds(admin, 'ReEncrypt', {
      CiphertextBlob: encrypted.body.CiphertextBlob,
      SourceEncryptionContext: { purpose: 'receipts' },
      DestinationKeyId: other,
    });
    const destination = await expectReceiptOf(admin, reEncrypted);
    const source = await expectReceiptOf(admin, reEncrypted, 'EdgeKmsSourceReceipt');
    expect(destination.KeyId).toBe(`arn:aws:kms:${REGION}:${ACCOUNT}:key/${other}`);
    expect(source.KeyId).toBe(arn);

    // Onto the same key: two records of one chain, the source half first.
    const same = await succeeds(admin, 'ReEncrypt', { CiphertextBlob: encrypted.body.CiphertextBlob, SourceEncryptionContext: { purpose: 'receipts' }, DestinationKeyId: keyId });
    expect(same.body.EdgeKmsReceipt.Sequence).toBe(same.body.EdgeKmsSourceReceipt.Sequence + 1);
  });

  it('names the audit record of signatures and MACs, and of their verification', async () => {
    const admin = await adminOf();
    const signing = await newKey(admin, { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    const message = b64(utf8('signed with a receipt'));
    const signed = await succeeds(admin, 'Sign', { KeyId: signing, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' });
    await expectReceiptOf(admin, signed);
    await expectReceiptOf(admin, await succeeds(admin, 'Verify', { KeyId: signing, Message: message, Signature: signed.body.Signature, SigningAlgorithm: 'ECDSA_SHA_256' }));

    const hmac = await newKey(admin, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    const mac = await succeeds(admin, 'GenerateMac', { KeyId: hmac, Message: message, MacAlgorithm: 'HMAC_SHA_256' });
    await expectReceiptOf(admin, mac);
    await expectReceiptOf(admin, await succeeds(admin, 'VerifyMac', { KeyId: hmac, Message: message, Mac: mac.body.Mac, MacAlgorithm: 'HMAC_SHA_256' }));
  });

  it('is absent from management answers and from refusals', async () => {
    const admin = await adminOf();
    const keyId = await newKey(admin);
    expect((await succeeds(admin, 'DescribeKey', { KeyId: keyId })).body).not.toHaveProperty('EdgeKmsReceipt');
    const stranger = await mintToken({ sub: 'receipt-stranger', account: ACCOUNT });
    const denied = await call(stranger, 'Encrypt', { KeyId: keyId, Plaintext: b64(utf8('no')) });
    expect(denied.body).toEqual({ __type: 'AccessDeniedException', message: expect.any(String) });
  });
});

describe('the receipt signing key', () => {
  it('is made once per account, published as SPKI and JWK under its thumbprint, and stored only sealed', async () => {
    const admin = await adminOf();
    const first = (await succeeds(admin, 'GetReceiptPublicKey', {})).body;
    const again = (await succeeds(await mintToken({ sub: 'any-user', account: ACCOUNT }), 'GetReceiptPublicKey', {})).body;
    expect(again).toEqual(first);
    expect(first).toMatchObject({ SigningAlgorithm: 'ED25519', Account: ACCOUNT, Region: REGION, Jwk: { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' } });
    expect(first.SigningKeyId).toBe(await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: first.Jwk.x }));
    expect(first.Jwk.kid).toBe(first.SigningKeyId);
    const spki = Uint8Array.fromBase64(first.PublicKey);
    const fromSpki = await crypto.subtle.exportKey('jwk', await crypto.subtle.importKey('spki', spki, 'Ed25519', true, ['verify']));
    expect((fromSpki as JsonWebKey).x).toBe(first.Jwk.x);

    const otherAccount = (await succeeds(await adminOf(OTHER_ACCOUNT), 'GetReceiptPublicKey', {})).body;
    expect(otherAccount.SigningKeyId).not.toBe(first.SigningKeyId);
    const unknown = await call(admin, 'GetReceiptPublicKey', { SigningKeyId: 'not-a-key' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.__type).toBe('NotFoundException');

    // The stored form: sealed (format 2, under a root), and no PKCS #8 Ed25519 private key anywhere in it.
    const log = env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName(ACCOUNT));
    const stored = await runInDurableObject(log, async (_instance, state) => state.storage.get<Record<string, any>>('receipt-signing-keys'));
    expect(stored!.keys).toHaveLength(1);
    const sealed = stored!.keys[0].sealed as Uint8Array;
    expect(sealed[0]).toBe(2);
    const pkcs8Prefix = '302e020100300506032b657004220420';
    expect(bytesToHex(sealed)).not.toContain(pkcs8Prefix);
    expect(JSON.stringify(stored)).not.toContain('"d"');
    // It opens under the root key, bound to the account and region, as the published key's private half.
    const pkcs8 = await unseal(rootKeys(env), `receipt-signing/${ACCOUNT}/${REGION}`, 1, sealed);
    expect(bytesToHex(pkcs8)).toMatch(new RegExp(`^${pkcs8Prefix}`));
    await expect(unseal(rootKeys(env), `receipt-signing/${OTHER_ACCOUNT}/${REGION}`, 1, sealed)).rejects.toThrow(/does not open/);
    const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, 'Ed25519', false, ['sign']);
    const publicKey = await crypto.subtle.importKey('spki', spki, 'Ed25519', false, ['verify']);
    const signature = await crypto.subtle.sign('Ed25519', privateKey, utf8('probe'));
    expect(await crypto.subtle.verify('Ed25519', publicKey, signature, utf8('probe'))).toBe(true);
  });
});

describe('inclusion proofs', () => {
  it('prove a receipt against a head signed by the published key, through the SDK client', async () => {
    const admin = await adminOf();
    const keyId = await newKey(admin);
    const encrypted = await succeeds(admin, 'Encrypt', { KeyId: keyId, Plaintext: b64(utf8('prove me')) });
    const receipt = encrypted.body.EdgeKmsReceipt as AuditReceipt;
    // Later records: the proof's segment runs from the receipt's record to the head.
    for (let i = 0; i < 3; i++) await succeeds(admin, 'GenerateDataKey', { KeyId: keyId, NumberOfBytes: 16 });

    const client = sdkClient({ getToken: () => admin });
    const publicKey = await client.getReceiptPublicKey();
    const proof = await client.getAuditInclusionProof({ KeyId: receipt.KeyId, Sequence: receipt.Sequence });
    expect(proof.Records).toHaveLength(4);
    expect(proof.SignedHead).toMatchObject({ SigningKeyId: publicKey.SigningKeyId, Account: ACCOUNT, Region: REGION, ChainId: keyId, Sequence: receipt.Sequence + 3 });
    const verified = await verifyReceipt(receipt, proof, publicKey);
    expect(verified.record).toMatchObject({ requestId: encrypted.requestId, operation: 'kms:Encrypt', hash: receipt.RecordHash });
    expect(verified.head.sequence).toBe(receipt.Sequence + 3);
    // The same through checkReceipt, with the key pinned and without.
    await expect(checkReceipt(client, receipt, { publicKey })).resolves.toMatchObject({ head: { chainId: keyId } });
    await expect(checkReceipt(client, receipt)).resolves.toMatchObject({ head: { chainId: keyId } });

    // Another account's published key does not verify this account's head.
    const otherKey = await sdkClient({ getToken: () => adminOf(OTHER_ACCOUNT) }).getReceiptPublicKey();
    await expect(verifyReceipt(receipt, proof, otherKey)).rejects.toThrow(/signed by key/);
    await expect(verifyReceipt(receipt, proof, { ...otherKey, SigningKeyId: publicKey.SigningKeyId })).rejects.toThrow(/not the service key/);
  });

  it('prove receipts of a key served by several replicas, each against its own replica chain', async () => {
    const admin = await adminOf();
    const keyId = await newKey(admin, { Tags: [{ TagKey: 'edgekms:Replicas', TagValue: '4' }] });
    const receipts: AuditReceipt[] = [];
    // Answers come from any replica (the Worker learns the count from the first answers): enough to reach several.
    for (let i = 0; i < 24; i++) {
      receipts.push((await succeeds(admin, 'GenerateDataKey', { KeyId: keyId, NumberOfBytes: 16 })).body.EdgeKmsReceipt as AuditReceipt);
    }
    const chains = new Set(receipts.map((receipt) => receipt.Chain ?? keyId));
    expect(chains.size).toBeGreaterThan(1);
    for (const chain of chains) expect(chain === keyId || chain.startsWith(`${keyId}#`)).toBe(true);
    const client = sdkClient({ getToken: () => admin });
    const publicKey = await client.getReceiptPublicKey();
    for (const receipt of receipts) {
      await expect(checkReceipt(client, receipt, { publicKey })).resolves.toMatchObject({ head: { chainId: receipt.Chain ?? keyId } });
    }
    // A receipt moved to another replica's chain does not verify there.
    const moved = receipts.find((receipt) => receipt.Chain !== undefined)!;
    await expect(checkReceipt(client, { ...moved, Chain: undefined }, { publicKey })).rejects.toThrow();
  });

  it('no longer verify once a stored record is edited, even with the head re-signed over it', async () => {
    const admin = await adminOf();
    const keyId = await newKey(admin);
    const receipt = (await succeeds(admin, 'Encrypt', { KeyId: keyId, Plaintext: b64(utf8('tamper with me')) })).body.EdgeKmsReceipt as AuditReceipt;
    await succeeds(admin, 'Encrypt', { KeyId: keyId, Plaintext: b64(utf8('a later record')) });
    const client = sdkClient({ getToken: () => admin });
    const publicKey = await client.getReceiptPublicKey();

    await runInDurableObject(keyStub(keyId), (_instance, state) => {
      state.storage.sql.exec("UPDATE audit SET principal = 'arn:aws:iam::717171717171:user/someone-else' WHERE seq = ?", receipt.Sequence);
    });
    const edited = await client.getAuditInclusionProof({ KeyId: receipt.KeyId, Sequence: receipt.Sequence });
    await expect(verifyReceipt(receipt, edited, publicKey)).rejects.toThrow(/edited/);

    // Rewriting the record's hash too breaks the link from the record after it.
    await runInDurableObject(keyStub(keyId), (_instance, state) => {
      const [record] = new AuditChain(state.storage.sql, keyId).segment(receipt.Sequence, 1);
      state.storage.sql.exec('UPDATE audit SET hash = ? WHERE seq = ?', recordHash(record!.sequence, record!, record!.previousHash), receipt.Sequence);
    });
    const rehashed = await client.getAuditInclusionProof({ KeyId: receipt.KeyId, Sequence: receipt.Sequence });
    await expect(verifyReceipt(receipt, rehashed, publicKey)).rejects.toThrow(/does not name the record before it/);

    // Rewriting every later record as well makes a chain the service signs again (the trust
    // model's limit, docs/receipts.md), but the receipt the caller holds pins the first hash.
    await runInDurableObject(keyStub(keyId), (_instance, state) => {
      let previous: string | undefined;
      for (const record of new AuditChain(state.storage.sql, keyId).segment(receipt.Sequence, 100)) {
        const previousHash = previous ?? record.previousHash;
        previous = recordHash(record.sequence, record, previousHash);
        state.storage.sql.exec('UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?', previousHash, previous, record.sequence);
      }
    });
    const rewritten = await client.getAuditInclusionProof({ KeyId: receipt.KeyId, Sequence: receipt.Sequence });
    await expect(verifyReceipt(receipt, rewritten, publicKey)).rejects.toThrow(/first record is not the receipt/);
    // ...and the rewritten chain is otherwise whole: only the receipt tells.
    await expect(verifyReceipt({ ...receipt, RecordHash: rewritten.Records[0]!.Hash as string }, rewritten, publicKey)).resolves.toBeDefined();
  });

  it('are authorized as ListAuditRecords on the key, and refuse what is not in the chain with a 4xx', async () => {
    const admin = await adminOf();
    const keyId = await newKey(admin);
    const receipt = (await succeeds(admin, 'Encrypt', { KeyId: keyId, Plaintext: b64(utf8('mine')) })).body.EdgeKmsReceipt as AuditReceipt;
    const stranger = await mintToken({ sub: 'receipt-stranger', account: ACCOUNT });
    const denied = await call(stranger, 'GetAuditInclusionProof', { KeyId: keyId, Sequence: receipt.Sequence });
    expect(denied.status).toBe(403);
    expect(denied.body.__type).toBe('AccessDeniedException');
    expect(denied.body.message).toContain('kms:ListAuditRecords');

    const outsider = await call(await adminOf(OTHER_ACCOUNT), 'GetAuditInclusionProof', { KeyId: keyId, Sequence: 1 });
    expect(outsider.body.__type).toBe('NotFoundException');
    const beyond = await call(admin, 'GetAuditInclusionProof', { KeyId: keyId, Sequence: 10_000 });
    expect(beyond.status).toBe(404);
    expect(beyond.body.__type).toBe('NotFoundException');
    for (const bad of [0, -1, 1.5, '1', null]) {
      const refused = await call(admin, 'GetAuditInclusionProof', { KeyId: keyId, Sequence: bad });
      expect(refused.status, String(bad)).toBe(400);
      expect(refused.body.__type).toBe('ValidationException');
    }
    const alias = await call(admin, 'GetAuditInclusionProof', { KeyId: 'alias/anything', Sequence: 1 });
    expect(alias.body.__type).toBe('NotFoundException');

    // The proof request is itself in the key's chain, under its own name.
    const records = (await succeeds(admin, 'ListAuditRecords', { KeyId: keyId, Operation: 'kms:GetAuditInclusionProof' })).body.Records;
    expect(records.map((record: Record<string, unknown>) => record.Outcome)).toEqual(['Denied', 'Failed']);
  });
});

describe('the receipt signing key across a root rotation', () => {
  const secret = (fill: number) => new Uint8Array(32).fill(fill).toBase64();
  const scope = { account: '737373737373', region: REGION };

  it('moves to the newest root and keeps its key id once the old root is gone', async () => {
    const scratch = env.AUDIT_LOG.get(env.AUDIT_LOG.newUniqueId());
    await runInDurableObject(scratch, async (_instance, state) => {
      const before = new ReceiptSigner(state.storage, { MASTER_KEY: env.MASTER_KEY });
      const published = await before.publicKey(scope);
      const storedRoot = async () => sealedUnder((await state.storage.get<Record<string, any>>('receipt-signing-keys'))!.keys[0].sealed);
      expect(await storedRoot()).toBe(1);

      const rotated = { MASTER_KEY: env.MASTER_KEY, MASTER_KEYS: JSON.stringify({ 2: secret(2) }) };
      await new ReceiptSigner(state.storage, rotated).reseal();
      expect(await storedRoot()).toBe(2);

      // Root 1 retired: the key still opens, is the same key, and its signatures verify under the published half.
      const after = new ReceiptSigner(state.storage, { MASTER_KEYS: JSON.stringify({ 2: secret(2) }) });
      expect((await after.publicKey(scope)).signingKeyId).toBe(published.signingKeyId);
      const { head, signature } = await after.sign(scope, { chainId: 'chain', sequence: 1, hash: 'ab'.repeat(32), time: 1 });
      const verifier = await crypto.subtle.importKey('spki', published.publicKey, 'Ed25519', false, ['verify']);
      expect(await crypto.subtle.verify('Ed25519', verifier, signature, headStatement(head))).toBe(true);
      // Nothing stored, nothing made.
      const empty = env.AUDIT_LOG.get(env.AUDIT_LOG.newUniqueId());
      await runInDurableObject(empty, async (_i, emptyState) => {
        await new ReceiptSigner(emptyState.storage, rotated).reseal();
        expect(await emptyState.storage.get('receipt-signing-keys')).toBeUndefined();
      });
    });
  });
});
