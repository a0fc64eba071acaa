import type { Caller } from '../auth/caller';
import type { Bindings } from '../env';
import { UnknownOperationException } from '../errors';
import { findOperation } from '../operations/registry';
import { parseInput } from '../operations/schema';

/** The common path of every protocol adapter once the caller is verified. */
export async function dispatch(
  operationName: string,
  readBody: () => Promise<unknown>,
  env: Bindings,
  caller: Caller,
): Promise<unknown> {
  const operation = findOperation(operationName);
  if (!operation) throw new UnknownOperationException(`Unknown operation ${operationName}.`);
  const input = parseInput(operation.input, await readBody());
  return operation.run(input, { env, caller, principal: caller.principal });
}
