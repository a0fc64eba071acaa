import { z } from 'zod';
import { MAX_POLICY_LENGTH } from '../policy/document';
import { unwrap } from '../result';
import { onKey } from './context';
import { defineOperation } from './operation';
import { keyIdField } from './schema';

/** Key policies: one per key, named "default", as in AWS KMS. */

const policyName = z.literal('default').default('default');

export const GetKeyPolicy = defineOperation({
  input: z.object({ KeyId: keyIdField, PolicyName: policyName }),
  run: async (input, ctx) => ({
    Policy: unwrap(await onKey(ctx, input.KeyId, (key, caller) => key.getPolicy(caller))),
    PolicyName: 'default',
  }),
});

export const PutKeyPolicy = defineOperation({
  input: z.object({
    KeyId: keyIdField,
    PolicyName: policyName,
    Policy: z.string().min(1).max(MAX_POLICY_LENGTH),
    BypassPolicyLockoutSafetyCheck: z.boolean().default(false),
  }),
  run: async (input, ctx) =>
    void unwrap(
      await onKey(ctx, input.KeyId, (key, caller) => key.putPolicy(caller, input.Policy, input.BypassPolicyLockoutSafetyCheck)),
    ),
});

export const ListKeyPolicies = defineOperation({
  input: z.object({ KeyId: keyIdField, Limit: z.number().int().min(1).max(1000).optional(), Marker: z.string().optional() }),
  async run(input, ctx) {
    // Reading the policy is how the caller proves it may list the (single) policy name.
    unwrap(await onKey(ctx, input.KeyId, (key, caller) => key.getPolicy(caller)));
    return { PolicyNames: ['default'], Truncated: false };
  },
});
