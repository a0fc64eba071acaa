/**
 * How much work one audit-trail request may do, however large the account.
 * An account-wide listing or verification walks the account's chains one
 * after another and stops at the first bound it reaches, returning a marker
 * to go on from; so a request's cost is set by these numbers, never by how
 * many keys or records the account has. Counts make the pages deterministic;
 * the time bound is a backstop on top of them.
 */

/** Chains (the account's own and each key's) one request reads from. */
export const AUDIT_PAGE_CHAINS = 50;
/** Records (by sequence number, matching a filter or not) one ListAuditRecords request reads. */
export const AUDIT_PAGE_SCAN = 5_000;
/**
 * Records one VerifyAuditChain request rehashes. Lower than the scan: the
 * hashing runs inside the chain's object (a key's, or the account's), which
 * serves nothing else meanwhile, so this also bounds how long it is held.
 */
export const AUDIT_PAGE_VERIFY = 2_000;
/** Past this, a request starts no further chain. */
export const AUDIT_PAGE_MILLIS = 2_000;
