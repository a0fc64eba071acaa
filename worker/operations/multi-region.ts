import { z } from 'zod';
import { MAX_POLICY_LENGTH } from '../policy/document';
import { unwrap } from '../result';
import { requireIdentityAllows } from './account-access';
import { callerScope, onKey } from './context';
import { rememberKey } from './known-keys';
import { defineOperation } from './operation';
import { keyIdField, tags } from './schema';
import { keyMetadata, tagEntry, tagsFromWire } from './shapes';
import { defaultKeyPolicy } from '../policy/default-policy';

/** Multi-Region keys (key-object/multi-region.ts): ReplicateKey and UpdatePrimaryRegion, both called in the primary's region. */

/** botocore's RegionType. */
const region = z.string().min(1).max(32).regex(/^([a-z]+-){2,3}\d+$/);

export const ReplicateKey = defineOperation({
  input: z.object({
    KeyId: keyIdField,
    ReplicaRegion: region,
    Policy: z.string().min(1).max(MAX_POLICY_LENGTH).optional(),
    BypassPolicyLockoutSafetyCheck: z.boolean().default(false),
    Description: z.string().max(8192).optional(),
    Tags: tags.default([]),
  }),
  async run(input, ctx) {
    // AWS: the replica's creation is authorized like CreateKey, by the caller's identity policies (in the replica's region).
    requireIdentityAllows({ ...ctx, caller: { ...ctx.caller, region: input.ReplicaRegion } }, 'kms:CreateKey');
    const replica = unwrap(
      await onKey(ctx, input.KeyId, (key, caller) =>
        key.replicate(caller, {
          replicaRegion: input.ReplicaRegion,
          ...(input.Description !== undefined && { description: input.Description }),
          tags: tagsFromWire(input.Tags),
          ...(input.Policy !== undefined && { policy: input.Policy }),
          bypassPolicyLockoutSafetyCheck: input.BypassPolicyLockoutSafetyCheck,
        }),
      ),
    );
    // This isolate may use the replica at once, as after CreateKey (known-keys.ts).
    rememberKey({ ...callerScope(ctx), region: replica.region }, replica.keyId);
    return {
      ReplicaKeyMetadata: keyMetadata(replica),
      ReplicaPolicy: replica.policy ?? defaultKeyPolicy(replica.account),
      ReplicaTags: replica.tags.map(tagEntry),
    };
  },
});

export const UpdatePrimaryRegion = defineOperation({
  input: z.object({ KeyId: keyIdField, PrimaryRegion: region }),
  run: async (input, ctx) => void unwrap(await onKey(ctx, input.KeyId, (key, caller) => key.updatePrimaryRegion(caller, input.PrimaryRegion))),
});
