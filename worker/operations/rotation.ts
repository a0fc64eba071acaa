import { z } from 'zod';
import { unwrap } from '../result';
import { onKey } from './context';
import { arnOf, listPage, rotationEntry, rotationStatus } from './shapes';
import { defineOperation } from './operation';
import { keyIdField, keyIdOnly, limit, marker } from './schema';

/** Rotation of symmetric keys: automatic on a period (a Durable Object alarm) and on demand. */

export const EnableKeyRotation = defineOperation({
  input: z.object({ KeyId: keyIdField, RotationPeriodInDays: z.number().int().min(90).max(2560).default(365) }),
  run: async (input, ctx) =>
    void unwrap(await onKey(ctx, input.KeyId, (key, caller) => key.enableRotation(caller, input.RotationPeriodInDays))),
});

export const DisableKeyRotation = defineOperation({
  input: keyIdOnly,
  run: async (input, ctx) => void unwrap(await onKey(ctx, input.KeyId, (key, caller) => key.disableRotation(caller))),
});

export const GetKeyRotationStatus = defineOperation({
  input: keyIdOnly,
  run: async (input, ctx) => rotationStatus(unwrap(await onKey(ctx, input.KeyId, (key, caller) => key.rotationStatus(caller)))),
});

export const RotateKeyOnDemand = defineOperation({
  input: keyIdOnly,
  run: async (input, ctx) => ({ KeyId: arnOf(unwrap(await onKey(ctx, input.KeyId, (key, caller) => key.rotateOnDemand(caller)))) }),
});

export const ListKeyRotations = defineOperation({
  input: z.object({ KeyId: keyIdField, Limit: limit, Marker: marker }),
  async run(input, ctx) {
    const { key, page } = unwrap(await onKey(ctx, input.KeyId, (object, caller) => object.listRotations(caller, input.Limit, input.Marker)));
    return listPage('Rotations', page, (rotation) => rotationEntry(key, rotation));
  },
});
