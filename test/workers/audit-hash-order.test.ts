import { describe, expect, it } from 'vitest';
import { genesisHash, recordHash } from '../../worker/audit/record';

/**
 * The byte string an audit record's hash covers is a stored format: every
 * chain ever written must still verify. These hashes were computed by the
 * code of c9f9c5a; a reordered, renamed or newly always-present field fails here.
 */
describe('audit record hashes keep their field order', () => {
  const chain = '1234abcd-12ab-34cd-56ef-1234567890ab';
  const previous = genesisHash(chain);
  const base = {
    time: 1767225600000,
    requestId: 'req-1',
    principal: 'arn:aws:iam::111122223333:root',
    account: '111122223333',
    operation: 'kms:Encrypt',
    outcome: 'Allowed' as const,
  };

  it('names the chain in its genesis hash', () => {
    expect(previous).toBe('d8d360cc12bf4f59bb5f0e1467a1651f373a08899116295e52bd066a59561ebf');
  });

  it('hashes a record with only the required fields', () => {
    expect(recordHash(1, base, previous)).toBe('25f4b609b636d4fa6d037e24518c3e0d97521b1b4ac7a627be498a2c8f27e83e');
  });

  it('hashes every original field, the encryption context in key order', () => {
    const full = {
      ...base,
      keyId: chain,
      keyVersion: 2,
      encryptionContext: { b: '2', a: '1' },
      outcome: 'Denied' as const,
      errorName: 'AccessDeniedException',
      sourceIp: '203.0.113.0',
      userAgent: 'aws-sdk-js/3',
    };
    expect(recordHash(7, full, previous)).toBe('b287a38e6e35b7e896701c9f7df1d10c14f24bc9255fb489e133c20f7c7dcbdb');
  });

  it('appends the throttled tally fields only when present', () => {
    const tally = { ...base, operation: 'edgekms:Throttled', outcome: 'Denied' as const, errorName: 'ThrottlingException', count: 41, windowStart: 1767225500000 };
    expect(recordHash(3, tally, previous)).toBe('18aef16949e4582556b43d5711b757fbb07fc93cd642642c9008802202aff1cf');
  });

  it('appends the context summary after the tally fields, null in their place', () => {
    const summarised = { ...base, keyId: 'k', encryptionContextSummary: { sha256: 'ab'.repeat(32), bytes: 70000, pairs: 3, keys: ['x', 'y'] } };
    expect(recordHash(4, summarised, previous)).toBe('fa947ebc304cd5e1fc126db94ad45fef3be03dfd30aaca2ef3f48813125ec77e');
  });
});
