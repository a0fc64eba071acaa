import { z } from 'zod';
import { WRAPPING_ALGORITHMS, WRAPPING_KEY_SPECS } from '../crypto/import-wrapping';
import { ValidationException } from '../errors';
import { unwrap } from '../result';
import { onKey } from './context';
import { defineOperation } from './operation';
import { blob, keyIdField } from './schema';
import { importedMaterialResponse, importParameters } from './shapes';

/** Imported key material (Origin EXTERNAL): GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial (key-object/imports.ts). */

const DAY = 86_400_000;
/** AWS KMS: imported material expires at most 365 days after the import. */
const MAX_VALID_DAYS = 365;
const keyMaterialId = z.string().length(64).regex(/^[a-f0-9]+$/);

export const GetParametersForImport = defineOperation({
  input: z.object({
    KeyId: keyIdField,
    WrappingAlgorithm: z.enum(WRAPPING_ALGORITHMS),
    WrappingKeySpec: z.enum(WRAPPING_KEY_SPECS),
  }),
  run: async (input, ctx) =>
    importParameters(unwrap(await onKey(ctx, input.KeyId, (key, caller) => key.getParametersForImport(caller, input.WrappingKeySpec, input.WrappingAlgorithm)))),
});

/** When the imported material expires (ms), as the request's ExpirationModel and ValidTo say; AWS's rules for the pair. */
function expiry(model: 'KEY_MATERIAL_EXPIRES' | 'KEY_MATERIAL_DOES_NOT_EXPIRE', validTo: number | undefined, now: number): number | undefined {
  if (model === 'KEY_MATERIAL_DOES_NOT_EXPIRE') {
    if (validTo !== undefined) throw new ValidationException('ValidTo must not be set when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE.');
    return undefined;
  }
  if (validTo === undefined) throw new ValidationException('ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES.');
  const at = Math.round(validTo * 1000);
  if (at <= now) throw new ValidationException('ValidTo must be a time in the future.');
  if (at > now + MAX_VALID_DAYS * DAY) throw new ValidationException(`ValidTo must be at most ${MAX_VALID_DAYS} days after the request.`);
  return at;
}

export const ImportKeyMaterial = defineOperation({
  input: z.object({
    KeyId: keyIdField,
    ImportToken: blob(1, 6144),
    EncryptedKeyMaterial: blob(1, 6144),
    // Seconds since the epoch, as every AWS date on the JSON protocol.
    ValidTo: z.number().optional(),
    ExpirationModel: z.enum(['KEY_MATERIAL_EXPIRES', 'KEY_MATERIAL_DOES_NOT_EXPIRE']).default('KEY_MATERIAL_EXPIRES'),
    ImportType: z.enum(['NEW_KEY_MATERIAL', 'EXISTING_KEY_MATERIAL']).optional(),
    KeyMaterialDescription: z.string().max(256).regex(/^[a-zA-Z0-9:/_\s.-]+$/).optional(),
    KeyMaterialId: keyMaterialId.optional(),
  }),
  async run(input, ctx) {
    const validTo = expiry(input.ExpirationModel, input.ValidTo, Date.now());
    const request = {
      importToken: input.ImportToken,
      encryptedKeyMaterial: input.EncryptedKeyMaterial,
      expirationModel: input.ExpirationModel,
      validTo,
      importType: input.ImportType,
    };
    return importedMaterialResponse(unwrap(await onKey(ctx, input.KeyId, (key, caller) => key.importKeyMaterial(caller, request))));
  },
});

export const DeleteImportedKeyMaterial = defineOperation({
  input: z.object({ KeyId: keyIdField, KeyMaterialId: keyMaterialId.optional() }),
  run: async (input, ctx) => importedMaterialResponse(unwrap(await onKey(ctx, input.KeyId, (key, caller) => key.deleteImportedKeyMaterial(caller)))),
});
