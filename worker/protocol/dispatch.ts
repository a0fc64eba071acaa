import type { Context } from 'hono';
import type { AppEnv } from '../app-env';
import { UnknownOperationException } from '../errors';
import { resolveIdentityPolicies } from '../operations/identity-resolution';
import { findOperation } from '../operations/registry';
import { parseInput } from '../operations/schema';

/**
 * The common path of every protocol adapter once the middleware has signed
 * the caller in: the operation runs for `c.var.principal`, with the identity
 * policies that apply to it, and reports into `c.var.audit` whether a key's
 * chain recorded it.
 */
export async function dispatch(operationName: string, readBody: () => Promise<unknown>, c: Context<AppEnv>): Promise<unknown> {
  const operation = findOperation(operationName);
  if (!operation) throw new UnknownOperationException(`Unknown operation ${operationName}.`);
  const input = parseInput(operation.input, await readBody());
  const principal = c.var.principal;
  const identityPolicies = await resolveIdentityPolicies(c.env, principal);
  return operation.run(input, { env: c.env, caller: { principal, request: c.var.request, identityPolicies }, principal, audit: c.var.audit });
}
