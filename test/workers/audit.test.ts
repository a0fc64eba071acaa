import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { env, runInDurableObject, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { b64, createKey, keyStub, kms, mintToken, ok, utf8 } from './helpers';

/** A separate account, so that its trail holds only what these tests do. */
const ACCOUNT = '222233334444';
const adminOf = () => mintToken({ sub: 'auditor', account: ACCOUNT, groups: ['kms-admin'] });

async function call(token: string, operation: string, body: unknown) {
  const response = await SELF.fetch(`https://kms.test/v1/${operation}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'user-agent': 'audit-test/1.0' },
    body: JSON.stringify(body),
  });
  return { status: response.status, requestId: response.headers.get('x-amzn-requestid')!, body: (await response.json()) as Record<string, any> };
}

async function allRecords(token: string, body: Record<string, unknown> = {}) {
  const records: Record<string, any>[] = [];
  let marker: string | undefined;
  do {
    const page = await call(token, 'ListAuditRecords', { ...body, Limit: 7, ...(marker && { Marker: marker }) });
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    records.push(...page.body.Records);
    marker = page.body.NextMarker;
  } while (marker);
  return records;
}

describe('audit trail', () => {
  it('records every request once, allowed or denied, in the key’s chain or the account’s', async () => {
    const admin = await adminOf();
    const created = await call(admin, 'CreateKey', {});
    const keyId = created.body.KeyMetadata.KeyId;
    const secret = b64(utf8('top secret plaintext'));
    const encrypted = await call(admin, 'Encrypt', { KeyId: keyId, Plaintext: secret, EncryptionContext: { case: 'audit' } });
    const stranger = await mintToken({ sub: 'stranger', account: ACCOUNT });
    const denied = await call(stranger, 'Decrypt', { CiphertextBlob: encrypted.body.CiphertextBlob, EncryptionContext: { case: 'audit' } });
    expect(denied.body.__type).toBe('AccessDeniedException');
    const failed = await call(admin, 'Decrypt', { CiphertextBlob: encrypted.body.CiphertextBlob, EncryptionContext: { case: 'wrong' } });
    expect(failed.body.__type).toBe('InvalidCiphertextException');
    const listed = await call(admin, 'ListKeys', {});
    const notFound = await call(admin, 'DescribeKey', { KeyId: crypto.randomUUID() });
    const unknownOperation = await call(admin, 'Teleport', {});

    const records = await allRecords(admin);
    const byRequest = (requestId: string) => records.filter((record) => record.RequestId === requestId);
    for (const { requestId } of [created, encrypted, denied, failed, listed, notFound, unknownOperation]) {
      expect(byRequest(requestId), requestId).toHaveLength(1);
    }
    expect(byRequest(created.requestId)[0]).toMatchObject({ Source: keyId, Operation: 'kms:CreateKey', Outcome: 'Allowed', KeyId: keyId, KeyVersion: 1 });
    expect(byRequest(encrypted.requestId)[0]).toMatchObject({
      Source: keyId,
      Operation: 'kms:Encrypt',
      Outcome: 'Allowed',
      Principal: `arn:aws:sts::${ACCOUNT}:federated-user/auditor`,
      Account: ACCOUNT,
      EncryptionContext: { case: 'audit' },
      UserAgent: 'audit-test/1.0',
    });
    expect(byRequest(denied.requestId)[0]).toMatchObject({
      Source: keyId,
      Operation: 'kms:Decrypt',
      Outcome: 'Denied',
      ErrorName: 'AccessDeniedException',
      Principal: `arn:aws:sts::${ACCOUNT}:federated-user/stranger`,
      KeyVersion: 1,
    });
    expect(byRequest(failed.requestId)[0]).toMatchObject({ Outcome: 'Failed', ErrorName: 'InvalidCiphertextException' });
    expect(byRequest(listed.requestId)[0]).toMatchObject({ Source: `account:${ACCOUNT}`, Operation: 'kms:ListKeys', Outcome: 'Allowed' });
    expect(byRequest(notFound.requestId)[0]).toMatchObject({ Source: `account:${ACCOUNT}`, Outcome: 'Failed', ErrorName: 'NotFoundException' });
    expect(byRequest(unknownOperation.requestId)[0]).toMatchObject({ Operation: 'kms:Teleport', ErrorName: 'UnknownOperationException' });

    // Records come chain by chain, the account's own first, each in sequence order; never plaintext or data keys.
    const sources = [...new Set(records.map((record) => record.Source))];
    expect(sources).toEqual([`account:${ACCOUNT}`, ...sources.slice(1).sort()]);
    for (const source of sources) {
      const sequences = records.filter((record) => record.Source === source).map((record) => record.Sequence);
      expect(sequences, source).toEqual([...sequences].sort((a, b) => a - b));
    }
    expect(JSON.stringify(records)).not.toContain(secret);
    expect(JSON.stringify(records)).not.toContain(encrypted.body.CiphertextBlob);

    const keyOnly = await allRecords(admin, { KeyId: keyId });
    expect(keyOnly.map((record) => record.Sequence)).toEqual(keyOnly.map((_, index) => index + 1));
    expect(keyOnly.every((record) => record.Source === keyId)).toBe(true);
  });

  it('records authentication failures in the service account’s chain', async () => {
    const response = await SELF.fetch('https://kms.test/v1/ListKeys', { method: 'POST', headers: { authorization: 'Bearer forged' }, body: '{}' });
    expect(response.status).toBe(401);
    const requestId = response.headers.get('x-amzn-requestid');
    const page = await call('test-admin-token', 'ListAuditRecords', { Outcome: 'Denied', Principal: 'anonymous', Limit: 1000 });
    expect(page.body.Records.filter((record: { RequestId: string }) => record.RequestId === requestId)).toEqual([
      expect.objectContaining({ Source: 'account:111122223333', Operation: 'kms:ListKeys', ErrorName: 'InvalidTokenException', Outcome: 'Denied' }),
    ]);
  });

  it('filters by operation, outcome, principal and time', async () => {
    const admin = await adminOf();
    const keyId = (await call(admin, 'CreateKey', {})).body.KeyMetadata.KeyId;
    const start = Date.now() / 1000;
    await call(admin, 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' });
    await call(await mintToken({ sub: 'eve', account: ACCOUNT }), 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' });
    const generated = await allRecords(admin, { KeyId: keyId, Operation: 'kms:GenerateDataKey' });
    expect(generated).toHaveLength(2);
    const denied = await allRecords(admin, { KeyId: keyId, Outcome: 'Denied' });
    expect(denied.map((record) => record.Principal)).toEqual([`arn:aws:sts::${ACCOUNT}:federated-user/eve`]);
    const byPrincipal = await allRecords(admin, { KeyId: keyId, Principal: `arn:aws:sts::${ACCOUNT}:federated-user/auditor` });
    expect(byPrincipal.every((record) => record.Principal.endsWith('/auditor'))).toBe(true);
    expect(await allRecords(admin, { KeyId: keyId, EndTime: start - 3600 })).toEqual([]);
    const bad = await call(admin, 'ListAuditRecords', { Marker: 'bm9wZQ' });
    expect(bad.body.__type).toBe('InvalidMarkerException');
    // Only those the key policy allows may read a key's trail.
    expect((await call(await mintToken({ sub: 'eve', account: ACCOUNT }), 'ListAuditRecords', { KeyId: keyId })).body.__type).toBe('AccessDeniedException');
    expect((await call(await mintToken({ sub: 'eve', account: ACCOUNT }), 'ListAuditRecords', {})).body.__type).toBe('AccessDeniedException');
  });

  it('verification names an edited record and a deleted one', async () => {
    const admin = await adminOf();
    const keyId = (await call(admin, 'CreateKey', {})).body.KeyMetadata.KeyId;
    for (let i = 0; i < 4; i++) await call(admin, 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' });
    const intact = await call(admin, 'VerifyAuditChain', { KeyId: keyId });
    expect(intact.body).toMatchObject({ Valid: true, Chains: [{ Source: keyId, Records: 5, Valid: true }] });

    const third = (await allRecords(admin, { KeyId: keyId }))[2]!;
    await runInDurableObject(keyStub(keyId), (_instance, state) => {
      state.storage.sql.exec("UPDATE audit SET outcome = 'Denied' WHERE seq = 3");
    });
    const edited = await call(admin, 'VerifyAuditChain', { KeyId: keyId });
    expect(edited.body.Valid).toBe(false);
    expect(edited.body.Chains[0].FirstInvalidRecord).toEqual({ Sequence: 3, RequestId: third.RequestId, Reason: expect.stringContaining('edited') });

    await runInDurableObject(keyStub(keyId), (_instance, state) => {
      state.storage.sql.exec("UPDATE audit SET outcome = 'Allowed' WHERE seq = 3");
      state.storage.sql.exec('DELETE FROM audit WHERE seq = 2');
    });
    const deleted = await call(admin, 'VerifyAuditChain', { KeyId: keyId });
    expect(deleted.body.Chains[0].FirstInvalidRecord).toMatchObject({ Sequence: 2, Reason: 'record 2 is missing' });

    // The account-wide check covers the account's own chain and every key's.
    const account = await call(admin, 'VerifyAuditChain', {});
    expect(account.body.Valid).toBe(false);
    expect(account.body.Chains.find((chain: { Source: string }) => chain.Source === keyId).Valid).toBe(false);
    expect(account.body.Chains.find((chain: { Source: string }) => chain.Source === `account:${ACCOUNT}`).Valid).toBe(true);
  });
});

it('a chain written before records could carry a count still verifies, and goes on', async () => {
  const account = '555566667777';
  const log = env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName(account));
  const hex = (text: string) => bytesToHex(sha256(new TextEncoder().encode(text)));
  // The table and the hashed field order of the first release, written as that release did.
  const genesis = hex(`edgekms audit chain account:${account}`);
  const old = [1, 1_700_000_000_000, 'old-request', 'anonymous', account, 'kms:ListKeys', null, null, null, 'Denied', 'UnauthenticatedException', null, null];
  await runInDurableObject(log, (_instance, state) => {
    state.storage.sql.exec(`CREATE TABLE audit (seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, request_id TEXT NOT NULL,
      principal TEXT NOT NULL, account TEXT NOT NULL, operation TEXT NOT NULL, key_id TEXT, key_version INTEGER,
      encryption_context TEXT, outcome TEXT NOT NULL, error_name TEXT, source_ip TEXT, user_agent TEXT,
      prev_hash TEXT NOT NULL, hash TEXT NOT NULL)`);
    state.storage.sql.exec('INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', ...old, genesis, hex(JSON.stringify([...old, genesis])));
  });
  expect(await log.verify(account)).toEqual({ source: `account:${account}`, records: 1, valid: true });
  await log.append(account, { time: Date.now(), requestId: 'new-request', principal: 'anonymous', account, operation: 'kms:ListKeys', outcome: 'Denied' });
  expect(await log.verify(account)).toEqual({ source: `account:${account}`, records: 2, valid: true });
});

it('the admin token is an account administrator of the service account only', async () => {
  const response = await kms('VerifyAuditChain', {});
  expect(response.status).toBe(200);
  expect(response.body.Chains[0].Source).toBe('account:111122223333');
});

describe('a key of another account', () => {
  // Two accounts of their own, so that each chain holds only what this test does.
  const OWNER = '555566667777';
  const OUTSIDER = '666677778888';
  const keyArnIn = (account: string, keyId: string) => `arn:aws:kms:us-east-1:${account}:key/${keyId}`;

  /** The whole answer, with the key id the request named replaced, so that an echo of it cannot differ. */
  async function answer(token: string, operation: string, body: Record<string, unknown>, keyId: string) {
    const response = await SELF.fetch(`https://kms.test/v1/${operation}`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    return { status: response.status, requestId: response.headers.get('x-amzn-requestid')!, text: (await response.text()).replaceAll(keyId, '<key>') };
  }

  it('answers exactly as a key that does not exist, and is recorded in the caller’s account chain, not the key’s', async () => {
    const owner = await mintToken({ sub: 'owner', account: OWNER, groups: ['kms-admin'] });
    const outsider = await mintToken({ sub: 'outsider', account: OUTSIDER, groups: ['kms-admin'] });
    const keyId = (await call(owner, 'CreateKey', {})).body.KeyMetadata.KeyId as string;
    const requests: Array<[string, (id: string) => Record<string, unknown>]> = [
      ['DescribeKey', (id) => ({ KeyId: id })],
      ['Encrypt', (id) => ({ KeyId: id, Plaintext: b64(utf8('x')) })],
      ['DisableKey', (id) => ({ KeyId: id })],
      ['ListAuditRecords', (id) => ({ KeyId: id })],
      ['DescribeKey', (id) => ({ KeyId: keyArnIn(OUTSIDER, id) })],
      ['Encrypt', (id) => ({ KeyId: keyArnIn(OUTSIDER, id), Plaintext: b64(utf8('x')) })],
    ];
    const probes: string[] = [];
    for (const [operation, body] of requests) {
      const missing = crypto.randomUUID();
      const absent = await answer(outsider, operation, body(missing), missing);
      const foreign = await answer(outsider, operation, body(keyId), keyId);
      expect(absent.status, absent.text).toBe(404);
      expect(foreign, `${operation} ${JSON.stringify(body('<key>'))}`).toEqual({ ...absent, requestId: foreign.requestId });
      probes.push(foreign.requestId);
    }

    // The key's chain holds only its owner's requests, and still verifies.
    const keyChain = await allRecords(owner, { KeyId: keyId });
    expect(keyChain.map((record) => record.Principal)).toEqual([`arn:aws:sts::${OWNER}:federated-user/owner`]);
    expect(keyChain.filter((record) => probes.includes(record.RequestId))).toEqual([]);
    expect((await call(owner, 'VerifyAuditChain', { KeyId: keyId })).body).toMatchObject({ Valid: true, Chains: [{ Source: keyId, Valid: true }] });
    expect((await call(owner, 'DescribeKey', { KeyId: keyId })).body.KeyMetadata.KeyState).toBe('Enabled');

    // The outsider's account chain has each of them, once, as a request for a key it does not have.
    const outsiderChain = await allRecords(outsider);
    for (const [index, requestId] of probes.entries()) {
      expect(outsiderChain.filter((record) => record.RequestId === requestId), requests[index]![0]).toEqual([
        expect.objectContaining({
          Source: `account:${OUTSIDER}`,
          Account: OUTSIDER,
          Principal: `arn:aws:sts::${OUTSIDER}:federated-user/outsider`,
          Operation: `kms:${requests[index]![0]}`,
          Outcome: 'Failed',
          ErrorName: 'NotFoundException',
        }),
      ]);
    }
    expect((await call(outsider, 'VerifyAuditChain', {})).body.Valid).toBe(true);
  });
});

/** Defects found in an earlier review, each pinned by the request sequence that showed it. */
describe('review regressions', () => {
  const REVIEW_ACCOUNT = '111122223333';

  it('an alias operation is recorded once, in the account chain, with its real outcome', async () => {
    const keyId = await createKey();
    const alias = `alias/audit-${crypto.randomUUID()}`;
    await ok('CreateAlias', { AliasName: alias, TargetKeyId: keyId });
    const duplicate = await SELF.fetch('https://kms.test/v1/CreateAlias', {
      method: 'POST',
      headers: { authorization: 'Bearer test-admin-token' },
      body: JSON.stringify({ AliasName: alias, TargetKeyId: keyId }),
    });
    expect(duplicate.status).toBe(409);
    const requestId = duplicate.headers.get('x-amzn-requestid');
    const keyTrail = await ok('ListAuditRecords', { KeyId: keyId, Limit: 1000 });
    expect(keyTrail.Records.filter((r: { Operation: string }) => r.Operation === 'kms:CreateAlias')).toEqual([]);
    const accountTrail = await ok('ListAuditRecords', { Operation: 'kms:CreateAlias', Outcome: 'Failed', Limit: 1000 });
    expect(accountTrail.Records.filter((r: { RequestId: string }) => r.RequestId === requestId)).toEqual([
      expect.objectContaining({ Source: `account:${REVIEW_ACCOUNT}`, KeyId: keyId, ErrorName: 'AlreadyExistsException' }),
    ]);
  });
});
