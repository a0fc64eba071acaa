import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { env, runInDurableObject, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { AUDIT_CONTEXT_KEYS_BYTES, AUDIT_CONTEXT_VERBATIM_BYTES } from '../../worker/audit/context-summary';
import { encodeEncryptionContext, MAX_CONTEXT_BYTES } from '../../worker/wire/encryption-context';
import { isIpLiteral } from '../../worker/wire/ip-address';
import { b64, keyStub, mintToken, utf8 } from './helpers';

/**
 * What one request can make an audit record hold is bounded, whatever the
 * request carries: the encryption context (refused past MAX_CONTEXT_BYTES,
 * kept verbatim up to AUDIT_CONTEXT_VERBATIM_BYTES, summarized past it) and
 * the client-supplied CF-Connecting-IP (kept only if it is an IP literal).
 */
const ACCOUNT = '777700002222';
const adminOf = () => mintToken({ sub: 'bounds', account: ACCOUNT, groups: ['kms-admin'] });

type Body = Record<string, any>;

async function call(token: string, operation: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await SELF.fetch(`https://kms.test/v1/${operation}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, requestId: response.headers.get('x-amzn-requestid')!, body: (await response.json()) as Body };
}

async function keyRecords(token: string, keyId: string): Promise<Body[]> {
  const records: Body[] = [];
  let marker: string | undefined;
  do {
    const page = await call(token, 'ListAuditRecords', { KeyId: keyId, Limit: 1000, ...(marker && { Marker: marker }) });
    records.push(...page.body.Records);
    marker = page.body.NextMarker;
  } while (marker);
  return records;
}

/** `pairs` keys k0, k1, … whose keys and values total exactly `bytes` UTF-8 bytes (values of 8,192 characters at most). */
function contextOf(bytes: number, pairs = 8): Record<string, string> {
  const context: Record<string, string> = {};
  let left = bytes;
  for (let i = 0; i < pairs; i++) {
    const key = `k${i}`;
    const value = 'v'.repeat(Math.min(8192, Math.ceil((left - key.length * (pairs - i)) / (pairs - i))));
    context[key] = value;
    left -= key.length + value.length;
  }
  expect(left).toBe(0);
  return context;
}

/** The bytes a record's row stores of the encryption context, in either form. */
async function storedContextBytes(keyId: string, requestId: string): Promise<number> {
  return runInDurableObject(keyStub(keyId), (_instance, state) => {
    const row = state.storage.sql
      .exec<{ verbatim: number | null; summary: number | null }>(
        'SELECT length(CAST(encryption_context AS BLOB)) AS verbatim, length(CAST(encryption_context_summary AS BLOB)) AS summary FROM audit WHERE request_id = ?',
        requestId,
      )
      .one();
    return (row.verbatim ?? 0) + (row.summary ?? 0);
  });
}

const digest = (context: Record<string, string>) => bytesToHex(sha256(encodeEncryptionContext(context)));

describe('the encryption context a request may carry, and what its audit record keeps of it', () => {
  it('a context past MAX_CONTEXT_BYTES is refused with ValidationException, in every operation that takes one', async () => {
    const admin = await adminOf();
    const keyId = (await call(admin, 'CreateKey', {})).body.KeyMetadata.KeyId;
    const over = contextOf(MAX_CONTEXT_BYTES + 1);
    const refusals: Array<[string, Body, string]> = [
      ['Encrypt', { KeyId: keyId, Plaintext: b64(utf8('x')), EncryptionContext: over }, 'encryptionContext'],
      ['GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: over }, 'encryptionContext'],
      ['Decrypt', { CiphertextBlob: b64(new Uint8Array(64)), EncryptionContext: over }, 'encryptionContext'],
      ['CreateGrant', { KeyId: keyId, GranteePrincipal: `arn:aws:iam::${ACCOUNT}:role/x`, Operations: ['Decrypt'], Constraints: { EncryptionContextSubset: over } }, 'constraints.encryptionContextSubset'],
    ];
    for (const [operation, body, field] of refusals) {
      const response = await call(admin, operation, body);
      expect(response.status, operation).toBe(400);
      expect(response.body).toEqual({
        __type: 'ValidationException',
        message: `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have a total length of keys and values less than or equal to ${MAX_CONTEXT_BYTES} bytes`,
      });
    }
  });

  it('the largest allowed context works, and its record keeps a digest and the key names, not the context', async () => {
    const admin = await adminOf();
    const keyId = (await call(admin, 'CreateKey', {})).body.KeyMetadata.KeyId;
    const largest = contextOf(MAX_CONTEXT_BYTES);
    const encrypted = await call(admin, 'Encrypt', { KeyId: keyId, Plaintext: b64(utf8('bound')), EncryptionContext: largest });
    expect(encrypted.status, JSON.stringify(encrypted.body).slice(0, 200)).toBe(200);
    // Still bound as AAD in full: the same context decrypts, another does not.
    const decrypted = await call(admin, 'Decrypt', { CiphertextBlob: encrypted.body.CiphertextBlob, EncryptionContext: largest });
    expect(decrypted.status).toBe(200);
    const other = await call(admin, 'Decrypt', { CiphertextBlob: encrypted.body.CiphertextBlob, EncryptionContext: { ...largest, k7: `${largest.k7!.slice(1)}w` } });
    expect(other.body.__type).toBe('InvalidCiphertextException');

    const records = await keyRecords(admin, keyId);
    for (const { requestId } of [encrypted, decrypted, other]) {
      const record = records.find((candidate) => candidate.RequestId === requestId)!;
      expect(record).not.toHaveProperty('EncryptionContext');
      expect(await storedContextBytes(keyId, requestId)).toBeLessThanOrEqual(AUDIT_CONTEXT_VERBATIM_BYTES);
    }
    const record = records.find((candidate) => candidate.RequestId === encrypted.requestId)!;
    expect(record.EncryptionContextSummary).toEqual({ Sha256: digest(largest), Bytes: MAX_CONTEXT_BYTES, Pairs: 8, Keys: Object.keys(largest) });
    expect((await call(admin, 'VerifyAuditChain', { KeyId: keyId })).body).toMatchObject({ Valid: true });
  });

  it('a context is kept verbatim up to AUDIT_CONTEXT_VERBATIM_BYTES of JSON, and summarized one byte past it', async () => {
    const admin = await adminOf();
    const keyId = (await call(admin, 'CreateKey', {})).body.KeyMetadata.KeyId;
    // {"a":"…"} is 8 bytes of JSON around the value.
    const atBound = { a: 'x'.repeat(AUDIT_CONTEXT_VERBATIM_BYTES - 8) };
    const pastBound = { a: 'x'.repeat(AUDIT_CONTEXT_VERBATIM_BYTES - 7) };
    // Many keys: the summary names as many as fit AUDIT_CONTEXT_KEYS_BYTES, in canonical order, and counts them all.
    const manyKeys = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`key-${String(i).padStart(3, '0')}-${'n'.repeat(40)}`, 'v']));
    const kept: Body[] = [];
    for (const context of [atBound, pastBound, manyKeys]) {
      const response = await call(admin, 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context });
      expect(response.status).toBe(200);
      kept.push((await keyRecords(admin, keyId)).find((record) => record.RequestId === response.requestId)!);
      expect(await storedContextBytes(keyId, response.requestId)).toBeLessThanOrEqual(AUDIT_CONTEXT_VERBATIM_BYTES);
    }
    expect(kept[0]).toMatchObject({ EncryptionContext: atBound });
    expect(kept[0]).not.toHaveProperty('EncryptionContextSummary');
    expect(kept[1]).not.toHaveProperty('EncryptionContext');
    expect(kept[1]!.EncryptionContextSummary).toEqual({ Sha256: digest(pastBound), Bytes: AUDIT_CONTEXT_VERBATIM_BYTES - 6, Pairs: 1, Keys: ['a'] });
    const summary = kept[2]!.EncryptionContextSummary;
    expect(summary.Pairs).toBe(400);
    expect(summary.Keys.length).toBeGreaterThan(0);
    expect(summary.Keys.length).toBeLessThan(400);
    expect(summary.Keys).toEqual(Object.keys(manyKeys).sort().slice(0, summary.Keys.length));
    expect(new TextEncoder().encode(JSON.stringify(summary.Keys)).length).toBeLessThanOrEqual(AUDIT_CONTEXT_KEYS_BYTES);
    expect((await call(admin, 'VerifyAuditChain', { KeyId: keyId })).body).toMatchObject({ Valid: true });
  });

  it('requests with large contexts grow the key’s storage by a bounded amount each', async () => {
    const admin = await adminOf();
    const keyId = (await call(admin, 'CreateKey', {})).body.KeyMetadata.KeyId;
    const size = () => runInDurableObject(keyStub(keyId), (_instance, state) => state.storage.sql.databaseSize);
    const before = await size();
    const requests = 40;
    for (let i = 0; i < requests; i++) {
      const response = await call(admin, 'Encrypt', { KeyId: keyId, Plaintext: b64(utf8('x')), EncryptionContext: contextOf(MAX_CONTEXT_BYTES - i) });
      expect(response.status).toBe(200);
    }
    // Each 64 KiB context leaves well under 2 KiB (record fields, digest, key names); verbatim it left 64 KiB.
    expect((await size()) - before).toBeLessThan(requests * 2 * 1024);
  });
});

describe('the client address an audit record keeps', () => {
  it('CF-Connecting-IP is kept only when it is an IPv4 or IPv6 literal, else recorded as "invalid"', async () => {
    const admin = await adminOf();
    const keyId = (await call(admin, 'CreateKey', {})).body.KeyMetadata.KeyId;
    const cases: Array<[string, string]> = [
      ['203.0.113.9', '203.0.113.9'],
      ['2001:db8::7', '2001:db8::7'],
      ['::ffff:198.51.100.2', '::ffff:198.51.100.2'],
      ['1'.repeat(5000), 'invalid'],
      ['999.1.1.1', 'invalid'],
      ['2001:db8::1]/x', 'invalid'],
      ['not an address', 'invalid'],
    ];
    for (const [header, kept] of cases) {
      // Once on the key's chain, once on the account's (ListKeys names no key).
      const onKey = await call(admin, 'DescribeKey', { KeyId: keyId }, { 'cf-connecting-ip': header });
      const onAccount = await call(admin, 'ListKeys', {}, { 'cf-connecting-ip': header });
      const keyRecord = (await keyRecords(admin, keyId)).find((record) => record.RequestId === onKey.requestId)!;
      expect(keyRecord.SourceIp, header.slice(0, 40)).toBe(kept);
      const accountPage = await call(admin, 'ListAuditRecords', { Operation: 'kms:ListKeys', Limit: 1000 });
      const accountRecord = accountPage.body.Records.find((record: Body) => record.RequestId === onAccount.requestId);
      expect(accountRecord.SourceIp, header.slice(0, 40)).toBe(kept);
    }
  });

  it('recognizes IP literals as RFC 4291 and dotted decimal write them, and nothing else', () => {
    for (const valid of ['0.0.0.0', '255.255.255.255', '::', '::1', '1::', 'fe80::1:2', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::ffff:1.2.3.4', '64:ff9b::192.0.2.33', 'ABCD:ef01::']) {
      expect(isIpLiteral(valid), valid).toBe(true);
    }
    for (const invalid of ['', '1.2.3', '1.2.3.4.5', '01.2.3.4', '256.0.0.1', ' 1.2.3.4', ':1', '1:', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7:8::', '12345::', 'g::1', '::1.2.3', 'fe80::1%eth0', '[::1]']) {
      expect(isIpLiteral(invalid), invalid).toBe(false);
    }
  });
});

describe('chains written before context summaries', () => {
  it('still verify, and go on with summarized records hashed in the documented order', async () => {
    const account = '777700003333';
    const log = env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName(account));
    const hex = (text: string) => bytesToHex(sha256(new TextEncoder().encode(text)));
    // A record of the first release and a throttled-count record, as those releases wrote them.
    const genesis = hex(`edgekms audit chain account:${account}`);
    const first = [1, 1_700_000_000_000, 'old-request', 'anonymous', account, 'kms:ListKeys', null, null, null, 'Denied', 'UnauthenticatedException', null, null];
    const firstHash = hex(JSON.stringify([...first, genesis]));
    const counted = [2, 1_700_000_001_000, 'throttled-x', 'arn:p', account, 'edgekms:Throttled', null, null, null, 'Denied', 'ThrottlingException', null, null];
    const countedHash = hex(JSON.stringify([...counted, firstHash, 5, 1_700_000_000_500]));
    await runInDurableObject(log, (_instance, state) => {
      state.storage.sql.exec(`CREATE TABLE audit (seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, request_id TEXT NOT NULL,
        principal TEXT NOT NULL, account TEXT NOT NULL, operation TEXT NOT NULL, key_id TEXT, key_version INTEGER,
        encryption_context TEXT, outcome TEXT NOT NULL, error_name TEXT, source_ip TEXT, user_agent TEXT,
        prev_hash TEXT NOT NULL, hash TEXT NOT NULL, request_count INTEGER, window_start INTEGER)`);
      state.storage.sql.exec('INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)', ...first, genesis, firstHash);
      state.storage.sql.exec('INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', ...counted, firstHash, countedHash, 5, 1_700_000_000_500);
    });
    expect(await log.verify(account)).toEqual({ source: `account:${account}`, records: 2, valid: true });

    const summary = { sha256: 'ab'.repeat(32), bytes: 5000, pairs: 1, keys: ['a'] };
    const entry = { time: 1_700_000_002_000, requestId: 'summarized', principal: 'anonymous', account, operation: 'kms:Encrypt', outcome: 'Allowed' as const, encryptionContextSummary: summary };
    await log.append(account, entry);
    expect(await log.verify(account)).toEqual({ source: `account:${account}`, records: 3, valid: true });
    // The summary is hashed after the count fields (null here), as record.ts documents.
    const third = [3, entry.time, 'summarized', 'anonymous', account, 'kms:Encrypt', null, null, null, 'Allowed', null, null, null, countedHash, null, null, [summary.sha256, 5000, 1, ['a']]];
    const stored = await runInDurableObject(log, (_instance, state) => state.storage.sql.exec<{ hash: string }>('SELECT hash FROM audit WHERE seq = 3').one().hash);
    expect(stored).toBe(hex(JSON.stringify(third)));
  });
});
