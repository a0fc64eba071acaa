import { unwrap } from '../result';
import { onKey } from './context';
import { defineOperation } from './operation';
import { keyIdOnly } from './schema';
import { keyLastUsage } from './shapes';

/** GetKeyLastUsage: a key id or key ARN only (AWS KMS refuses aliases here); key-object/last-usage.ts keeps the figure. */
export const GetKeyLastUsage = defineOperation({
  input: keyIdOnly,
  async run(input, ctx) {
    const { record, usage } = unwrap(await onKey(ctx, input.KeyId, (key, caller) => key.getLastUsage(caller)));
    return keyLastUsage(record, usage);
  },
});
