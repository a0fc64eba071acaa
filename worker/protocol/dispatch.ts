import type { Context } from 'hono';
import type { AppEnv } from '../app-env';
import { UnknownOperationException } from '../errors';
import { findOperation } from '../operations/registry';
import { parseInput } from '../operations/schema';

/**
 * The common path of every protocol adapter once the middleware has signed
 * the caller in: the operation runs for `c.var.principal` and reports into
 * `c.var.audit` whether a key's chain recorded it.
 */
export async function dispatch(operationName: string, readBody: () => Promise<unknown>, c: Context<AppEnv>): Promise<unknown> {
  const operation = findOperation(operationName);
  if (!operation) throw new UnknownOperationException(`Unknown operation ${operationName}.`);
  const input = parseInput(operation.input, await readBody());
  const principal = c.var.principal;
  return operation.run(input, { env: c.env, caller: { principal, request: c.var.request }, principal, audit: c.var.audit });
}
