import { KMSInternalException } from '../errors';

/**
 * The versioned set of root secrets that key material is sealed under. Root 1
 * is MASTER_KEY, as every release before root rotation had it, so material
 * sealed then and ciphertexts made then stay readable; MASTER_KEYS (a secret,
 * JSON: root id -> base64 of at least 32 bytes) adds the later ones, and may
 * hold root 1 too once MASTER_KEY is removed. New seals use the newest root
 * (the highest id); the others stay until nothing is sealed under them.
 */
export interface RootKeySettings {
  MASTER_KEY?: string;
  MASTER_KEYS?: string;
}

export interface RootKeySet {
  /** The root every new seal uses. */
  readonly newest: number;
  /** Every root id configured, ascending. */
  readonly ids: readonly number[];
  /** The base64 secret of a root, or undefined if it is not configured (retired, or never was). */
  secret(id: number): string | undefined;
}

let cached: { master: string | undefined; keys: string | undefined; set: RootKeySet } | undefined;

export function rootKeys(settings: RootKeySettings): RootKeySet {
  if (cached && cached.master === settings.MASTER_KEY && cached.keys === settings.MASTER_KEYS) return cached.set;
  const set = parseRootKeys(settings);
  cached = { master: settings.MASTER_KEY, keys: settings.MASTER_KEYS, set };
  return set;
}

/** A configuration mistake is the operator's, never a caller's: KMSInternalException, with no secret in the message. */
export function parseRootKeys({ MASTER_KEY, MASTER_KEYS }: RootKeySettings): RootKeySet {
  const secrets = new Map<number, string>();
  if (MASTER_KEY) secrets.set(1, MASTER_KEY);
  if (MASTER_KEYS) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(MASTER_KEYS);
    } catch {
      throw new KMSInternalException('MASTER_KEYS is not JSON.');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new KMSInternalException('MASTER_KEYS must be a JSON object of root id to base64 secret.');
    }
    for (const [name, secret] of Object.entries(parsed)) {
      const id = Number(name);
      if (!/^[1-9][0-9]{0,8}$/.test(name) || typeof secret !== 'string') {
        throw new KMSInternalException('MASTER_KEYS must map root ids (positive integers) to base64 secrets.');
      }
      if (secrets.has(id)) throw new KMSInternalException(`Root key ${id} is configured twice (MASTER_KEY is root 1).`);
      secrets.set(id, secret);
    }
  }
  if (secrets.size === 0) throw new KMSInternalException('MASTER_KEY is not configured.');
  const ids = [...secrets.keys()].sort((a, b) => a - b);
  return { newest: ids.at(-1)!, ids, secret: (id) => secrets.get(id) };
}
