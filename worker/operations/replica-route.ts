import type { Bindings } from '../env';
import type { Result } from '../result';
import { keyReplica } from '../stubs';

/**
 * Where the Worker sends a request on a key (docs/replicas.md): the
 * cryptographic operations to any of the key's replicas, at random, so a hot
 * key's load spreads over them; everything else to replica 0, the key's own
 * object. A request touches one object: the count of serving replicas comes
 * with the answers of the key's objects (Result.replicas) and is kept per
 * isolate, so no lookup precedes the request. Until an answer said more, a
 * key is served by replica 0 alone.
 */
export const REPLICATED_METHODS: ReadonlySet<string> = new Set([
  'encrypt',
  'decrypt',
  'generateDataKey',
  'encryptDataKeyPair',
  'deriveSharedSecret',
  'sign',
  'verify',
  'getPublicKey',
  'generateMac',
  'verifyMac',
]);

const MAX_REMEMBERED = 10_000;
const servingReplicas = new Map<string, number>();

function remember(name: string, result: unknown): void {
  const count = (result as Result<unknown> | undefined)?.replicas ?? 1;
  if (count <= 1) {
    servingReplicas.delete(name);
    return;
  }
  if (!servingReplicas.has(name) && servingReplicas.size >= MAX_REMEMBERED) servingReplicas.delete(servingReplicas.keys().next().value!);
  servingReplicas.set(name, count);
}

type Method = (...args: unknown[]) => Promise<unknown>;

/**
 * Calls a cryptographic method on one replica. A replica behind a change
 * (fenced, or retired since this isolate learned the count) refuses without
 * deciding or auditing, and the request goes to replica 0, which holds the
 * key's state: only then does it touch a second object.
 */
export async function callReplica(env: Bindings, region: string, keyId: string, method: string, args: unknown[]): Promise<unknown> {
  const name = `${region}/${keyId}`;
  const count = servingReplicas.get(name) ?? 1;
  const index = count > 1 ? Math.floor(Math.random() * count) : 0;
  const call = (replica: number) => (keyReplica(env, region, keyId, replica) as unknown as Record<string, Method>)[method]!(...args);
  let result = await call(index);
  if (index !== 0 && (result as Result<unknown>).replicaBehind) {
    servingReplicas.delete(name);
    result = await call(0);
  }
  remember(name, result);
  return result;
}
