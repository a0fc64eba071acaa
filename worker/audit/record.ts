/**
 * An audit record and its hash: pure code shared with the SDK (sdk/audit/record-hash.ts), which
 * recomputes these hashes to verify a receipt, so the two can never hash differently.
 */
export * from '../../sdk/audit/record-hash';
