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
const CUSTOM_KEY_STORES = 'Custom key stores (CloudHSM, external key stores) are not supported: key material lives in the key\'s Durable Object.';

export const GetParametersForImport = unsupported(IMPORTED_MATERIAL);
export const ImportKeyMaterial = unsupported(IMPORTED_MATERIAL);
export const DeleteImportedKeyMaterial = unsupported(IMPORTED_MATERIAL);
export const CreateCustomKeyStore = unsupported(CUSTOM_KEY_STORES);
export const ConnectCustomKeyStore = unsupported(CUSTOM_KEY_STORES);
export const DescribeCustomKeyStores = unsupported(CUSTOM_KEY_STORES);
export const DisconnectCustomKeyStore = unsupported(CUSTOM_KEY_STORES);
export const UpdateCustomKeyStore = unsupported(CUSTOM_KEY_STORES);
export const DeleteCustomKeyStore = unsupported(CUSTOM_KEY_STORES);
