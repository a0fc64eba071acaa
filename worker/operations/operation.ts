import type { z } from 'zod';
import type { OperationContext } from './context';

/** One KMS operation: its input schema and what it does for a verified principal. */
export interface Operation<S extends z.ZodType = z.ZodType, O = unknown> {
  input: S;
  run(input: z.output<S>, ctx: OperationContext): Promise<O>;
}

export function defineOperation<S extends z.ZodType, O>(operation: Operation<S, O>): Operation<S, O> {
  return operation;
}
