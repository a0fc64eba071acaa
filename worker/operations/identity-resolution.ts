import type { Principal } from '../auth/principal';
import type { Bindings } from '../env';
import { parsePolicy, type PolicyDocument } from '../policy/document';
import { identityDirectory } from '../stubs';

/**
 * The identity policies that apply to a request's principal, read once per
 * request in the Worker and handed, parsed, to whoever decides (the key's
 * object receives them on the caller), so that a key's hot path never waits
 * on a second object of its own.
 *
 * What the Directory answered is kept per isolate for a short while, as IAM
 * itself propagates policy changes eventually: a change made through this
 * isolate applies to its very next request (`forgetIdentityPolicies`), one
 * made through another isolate within IDENTITY_POLICY_TTL_MS.
 */
export const IDENTITY_POLICY_TTL_MS = 2_000;
const MAX_CACHED = 1_000;

interface Cached {
  account: string;
  fetchedAt: number;
  /** Pending while the Directory answers: requests that arrive meanwhile share the one read. */
  policies: Promise<readonly PolicyDocument[]>;
}

const cache = new Map<string, Cached>();
const parsed = new Map<string, PolicyDocument>();

/** The user name identity policies are attached to: the access key's IAM user, or the token's subject. */
export function policyUserName(principal: Principal): string | undefined {
  if (principal.kind === 'admin') return undefined;
  return principal.arn.slice(principal.arn.indexOf('/') + 1);
}

function parsedDocument(text: string): PolicyDocument {
  let document = parsed.get(text);
  if (!document) {
    document = parsePolicy(text, 'identity');
    if (parsed.size >= MAX_CACHED) parsed.delete(parsed.keys().next().value!);
    parsed.set(text, document);
  }
  return document;
}

export async function resolveIdentityPolicies(env: Bindings, principal: Principal, now = Date.now()): Promise<readonly PolicyDocument[]> {
  const user = policyUserName(principal);
  if (user === undefined && principal.roles.length === 0) return [];
  const entry = JSON.stringify([principal.account, user ?? null, [...principal.roles].sort()]);
  const cached = cache.get(entry);
  if (cached && now - cached.fetchedAt < IDENTITY_POLICY_TTL_MS) return cached.policies;
  const read = identityDirectory(env, principal.account)
    .applicableIdentityPolicies(user, principal.roles)
    .then((texts) => texts.map(parsedDocument));
  cache.delete(entry);
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  const mine: Cached = { account: principal.account, fetchedAt: now, policies: read };
  cache.set(entry, mine);
  // A failed read is not kept: the next request asks again.
  read.catch(() => cache.get(entry) === mine && cache.delete(entry));
  return read;
}

/** After a change to an account's identity policies: this isolate reads them afresh. */
export function forgetIdentityPolicies(account: string): void {
  for (const [entry, cached] of cache) if (cached.account === account) cache.delete(entry);
}
