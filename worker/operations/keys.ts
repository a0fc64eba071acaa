import { z } from 'zod';
import { allowedUsages, type KeyUsage } from '../crypto/key-specs';
import { InvalidKeyUsageException, UnsupportedOperationException } from '../errors';
import { unwrap } from '../result';
import { MAX_POLICY_LENGTH } from '../policy/document';
import { keyArn, newKeyId } from '../wire/key-reference';
import { requireIdentityAllows } from './account-access';
import { callerScope, keyHandle, onKey, resolveKey } from './context';
import { directory } from '../stubs';
import { rememberKey } from './known-keys';
import { arnOf, deletionSchedule, keyMetadata, listPage, tagEntry, tagsFromWire } from './shapes';
import { defineOperation } from './operation';
import { keyIdField, keyIdOnly, keySpec, keyUsage, limit, marker, tags } from './schema';

/** Key lifecycle and metadata: CreateKey, DescribeKey, ListKeys, Enable/Disable, deletion, tags. */


export const CreateKey = defineOperation({
  input: z.object({
    KeySpec: keySpec.optional(),
    CustomerMasterKeySpec: keySpec.optional(),
    KeyUsage: keyUsage.optional(),
    Description: z.string().max(8192).default(''),
    Tags: tags.default([]),
    Origin: z.string().default('AWS_KMS'),
    MultiRegion: z.boolean().default(false),
    Policy: z.string().min(1).max(MAX_POLICY_LENGTH).optional(),
    BypassPolicyLockoutSafetyCheck: z.boolean().default(false),
  }),
  async run(input, ctx) {
    requireIdentityAllows(ctx, 'kms:CreateKey');
    if (input.Origin !== 'AWS_KMS') throw new UnsupportedOperationException(`Origin ${input.Origin} is not supported.`);
    const spec = input.KeySpec ?? input.CustomerMasterKeySpec ?? 'SYMMETRIC_DEFAULT';
    const usages = allowedUsages(spec);
    const usage: KeyUsage = input.KeyUsage ?? usages[0]!;
    if (!usages.includes(usage)) {
      throw new InvalidKeyUsageException(`KeyUsage ${usage} is not valid for KeySpec ${spec}.`);
    }
    const keyId = newKeyId(input.MultiRegion);
    // The key object lists the new key in the Directory itself (key-object/directory-index.ts).
    const record = unwrap(
      await keyHandle(ctx, keyId).create(ctx.caller, {
        keyId,
        region: ctx.region,
        keySpec: spec,
        keyUsage: usage,
        description: input.Description,
        tags: tagsFromWire(input.Tags),
        ...(input.Policy !== undefined && { policy: input.Policy }),
        bypassPolicyLockoutSafetyCheck: input.BypassPolicyLockoutSafetyCheck,
        ...(input.MultiRegion && { multiRegion: { primaryRegion: ctx.region, replicaRegions: [] } }),
      }),
    );
    // The object listed the key in the Directory inside its creation block; this isolate may use it at once (known-keys.ts).
    rememberKey(callerScope(ctx), keyId);
    return { KeyMetadata: keyMetadata(record) };
  },
});

export const DescribeKey = defineOperation({
  input: z.object({ KeyId: keyIdField, GrantTokens: z.array(z.string()).optional() }),
  async run(input, ctx) {
    const { key, caller } = await resolveKey(ctx, input.KeyId);
    return { KeyMetadata: keyMetadata(unwrap(await key.describe(caller))) };
  },
});

export const ListKeys = defineOperation({
  input: z.object({ Limit: limit, Marker: marker }),
  async run(input, ctx) {
    requireIdentityAllows(ctx, 'kms:ListKeys');
    const page = unwrap(await directory(ctx.env, callerScope(ctx)).listKeys(input.Limit ?? 100, input.Marker));
    const scope = callerScope(ctx);
    return listPage('Keys', page, (KeyId) => ({ KeyId, KeyArn: keyArn(scope, KeyId) }));
  },
});

export const EnableKey = defineOperation({
  input: keyIdOnly,
  run: async (input, ctx) => void unwrap(await onKey(ctx, input.KeyId, (key, caller) => key.enable(caller))),
});

export const DisableKey = defineOperation({
  input: keyIdOnly,
  run: async (input, ctx) => void unwrap(await onKey(ctx, input.KeyId, (key, caller) => key.disable(caller))),
});

export const ScheduleKeyDeletion = defineOperation({
  input: z.object({ KeyId: keyIdField, PendingWindowInDays: z.number().int().min(7).max(30).default(30) }),
  run: async (input, ctx) =>
    deletionSchedule(unwrap(await onKey(ctx, input.KeyId, (key, caller) => key.scheduleDeletion(caller, input.PendingWindowInDays)))),
});

export const CancelKeyDeletion = defineOperation({
  input: keyIdOnly,
  run: async (input, ctx) => ({ KeyId: arnOf(unwrap(await onKey(ctx, input.KeyId, (key, caller) => key.cancelDeletion(caller)))) }),
});

export const UpdateKeyDescription = defineOperation({
  input: z.object({ KeyId: keyIdField, Description: z.string().max(8192) }),
  run: async (input, ctx) =>
    void unwrap(await onKey(ctx, input.KeyId, (key, caller) => key.updateDescription(caller, input.Description))),
});

export const TagResource = defineOperation({
  input: z.object({ KeyId: keyIdField, Tags: tags }),
  run: async (input, ctx) => void unwrap(await onKey(ctx, input.KeyId, (key, caller) => key.tagResource(caller, tagsFromWire(input.Tags)))),
});

export const UntagResource = defineOperation({
  input: z.object({ KeyId: keyIdField, TagKeys: z.array(z.string().min(1).max(128)).max(50) }),
  run: async (input, ctx) =>
    void unwrap(await onKey(ctx, input.KeyId, (key, caller) => key.untagResource(caller, input.TagKeys))),
});

export const ListResourceTags = defineOperation({
  input: z.object({ KeyId: keyIdField, Limit: z.number().int().min(1).max(50).optional(), Marker: marker }),
  run: async (input, ctx) =>
    listPage('Tags', unwrap(await onKey(ctx, input.KeyId, (key, caller) => key.listTags(caller, input.Limit, input.Marker))), tagEntry),
});
