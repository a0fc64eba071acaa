import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { env, runInDurableObject, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { mintToken } from './helpers';

/**
 * The audit table is a stored format too (worker/audit/fields.ts derives it):
 * its columns keep their names and types, and a table written by an earlier
 * release, with the index it had, still reads through the API.
 */
describe('the audit table derived from the field list', () => {
  it('a new chain has the columns of the earlier releases, by name, type and nullability', async () => {
    const account = '666677778888';
    const log = env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName(account));
    await log.append(account, { time: 1, requestId: 'r', principal: 'anonymous', account, operation: 'kms:ListKeys', outcome: 'Denied' });
    const columns = await runInDurableObject(log, (_instance, state) =>
      state.storage.sql
        .exec<{ name: string; type: string; notnull: number; pk: number }>('PRAGMA table_info(audit)')
        .toArray()
        .map(({ name, type, notnull, pk }) => [name, type, notnull, pk]),
    );
    expect(Object.fromEntries(columns.map(([name, ...rest]) => [name, rest]))).toEqual({
      seq: ['INTEGER', 0, 1],
      time: ['INTEGER', 1, 0],
      request_id: ['TEXT', 1, 0],
      principal: ['TEXT', 1, 0],
      account: ['TEXT', 1, 0],
      operation: ['TEXT', 1, 0],
      key_id: ['TEXT', 0, 0],
      key_version: ['INTEGER', 0, 0],
      encryption_context: ['TEXT', 0, 0],
      outcome: ['TEXT', 1, 0],
      error_name: ['TEXT', 0, 0],
      source_ip: ['TEXT', 0, 0],
      user_agent: ['TEXT', 0, 0],
      prev_hash: ['TEXT', 1, 0],
      hash: ['TEXT', 1, 0],
      request_count: ['INTEGER', 0, 0],
      window_start: ['INTEGER', 0, 0],
      encryption_context_summary: ['TEXT', 0, 0],
    });
  });

  it('a table of an earlier release loses its unused time index, and its records still list and verify through the API', async () => {
    const account = '777788889999';
    const log = env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName(account));
    const hex = (text: string) => bytesToHex(sha256(new TextEncoder().encode(text)));
    const genesis = hex(`edgekms audit chain account:${account}`);
    const old = [1, 1_700_000_000_000, 'old-request', 'anonymous', account, 'kms:ListKeys', null, null, '{"a":"1"}', 'Denied', 'UnauthenticatedException', '203.0.113.9', 'old-agent'];
    const hashed = [...old.slice(0, 8), [['a', '1']], ...old.slice(9)];
    const oldHash = hex(JSON.stringify([...hashed, genesis]));
    await runInDurableObject(log, (_instance, state) => {
      state.storage.sql.exec(`CREATE TABLE audit (seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, request_id TEXT NOT NULL,
        principal TEXT NOT NULL, account TEXT NOT NULL, operation TEXT NOT NULL, key_id TEXT, key_version INTEGER,
        encryption_context TEXT, outcome TEXT NOT NULL, error_name TEXT, source_ip TEXT, user_agent TEXT,
        prev_hash TEXT NOT NULL, hash TEXT NOT NULL)`);
      state.storage.sql.exec('CREATE INDEX audit_by_time ON audit (time, seq)');
      state.storage.sql.exec('INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', ...old, genesis, oldHash);
    });

    const token = await mintToken({ sub: 'auditor', account, groups: ['kms-admin'] });
    const call = async (operation: string, body: unknown) => {
      const response = await SELF.fetch(`https://kms.test/v1/${operation}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
      return (await response.json()) as Record<string, any>;
    };
    const listed = await call('ListAuditRecords', { Limit: 1 });
    expect(listed.Records[0]).toEqual({
      Source: `account:${account}`,
      Sequence: 1,
      Time: 1_700_000_000,
      RequestId: 'old-request',
      Principal: 'anonymous',
      Account: account,
      Operation: 'kms:ListKeys',
      EncryptionContext: { a: '1' },
      Outcome: 'Denied',
      ErrorName: 'UnauthenticatedException',
      SourceIp: '203.0.113.9',
      UserAgent: 'old-agent',
      PreviousHash: genesis,
      Hash: oldHash,
    });
    const indexes = await runInDurableObject(log, (_instance, state) =>
      state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit'").toArray().map((row) => row.name),
    );
    expect(indexes).not.toContain('audit_by_time');
    const verified = await call('VerifyAuditChain', {});
    expect(verified.Chains[0]).toEqual({ Source: `account:${account}`, Records: expect.any(Number), Valid: true });
    expect(verified.Chains[0].Records).toBeGreaterThanOrEqual(2);
  });

  it('every stored field is covered by the hash: a window start written into a record without one is found edited', async () => {
    const account = '888899990000';
    const log = env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName(account));
    await log.append(account, { time: 5, requestId: 'plain', principal: 'anonymous', account, operation: 'kms:ListKeys', outcome: 'Denied' });
    await log.append(account, { time: 6, requestId: 'next', principal: 'anonymous', account, operation: 'kms:ListKeys', outcome: 'Denied' });
    expect(await log.verify(account)).toEqual({ source: `account:${account}`, records: 2, valid: true });
    // The API would show it as the record's WindowStart.
    await runInDurableObject(log, (_instance, state) => void state.storage.sql.exec('UPDATE audit SET window_start = 1 WHERE seq = 1'));
    expect(await log.verify(account)).toEqual({
      source: `account:${account}`,
      records: 0,
      valid: false,
      firstInvalid: { sequence: 1, requestId: 'plain', reason: 'its content does not match its hash (edited)' },
    });
  });
});
