import type { Caller } from '../auth/caller';
import type { KeyUsage } from '../crypto/key-specs';
import type { StateRequirement } from '../key-object/key-state';
import type { RequestFacts } from '../policy/request-keys';
import { KMSInternalException } from '../errors';
import { unwrap } from '../result';
import type { keyHandle } from './context';

/**
 * `DryRun: true` (the operations whose model has the flag): the key's object
 * authorizes the request as the operation would, with the same action, key
 * state, facts and key usage, and answers DryRunOperationException where the
 * request would have gone ahead, or the error it would have met. Nothing is
 * encrypted, signed or changed.
 */
export async function refuseDryRun(
  handle: { key: ReturnType<typeof keyHandle>; caller: Caller },
  action: string,
  facts?: RequestFacts,
  usage?: KeyUsage,
  requirement: StateRequirement = 'enabled',
): Promise<never> {
  unwrap(await handle.key.dryRun(handle.caller, action, requirement, facts, usage));
  // The key's object refuses every dry run, so this is never reached.
  throw new KMSInternalException('The dry run was not refused.');
}
