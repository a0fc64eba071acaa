import { z } from 'zod';
import { UnsupportedOperationException } from '../errors';
import { defineOperation, type Operation } from './operation';

/**
 * Operations of the AWS KMS model that EdgeKMS deliberately does not offer
 * (docs/api.md, "Operations not offered", says why each). They answer
 * UnsupportedOperationException, with the reason, to a signed-in caller,
 * rather than UnknownOperationException: a client can tell "not here" from
 * "misspelt".
 */
function unsupported(reason: string): Operation {
  return defineOperation({
    input: z.looseObject({}),
    run: () => Promise.reject(new UnsupportedOperationException(reason)),
  });
}

const IMPORTED_MATERIAL = 'Keys with imported key material (Origin EXTERNAL) are not supported yet: EdgeKMS generates all key material inside the key\'s Durable Object.';

export const GetParametersForImport = unsupported(IMPORTED_MATERIAL);
export const ImportKeyMaterial = unsupported(IMPORTED_MATERIAL);
export const DeleteImportedKeyMaterial = unsupported(IMPORTED_MATERIAL);
