import { UnsupportedOperationException, ValidationException } from '../errors';
import type { KeySpec, KeyUsage } from '../crypto/key-specs';
import type { ExternalKeyStoreBinding } from '../key-object/key-record';
import { unwrap } from '../result';
import { directory } from '../stubs';
import { isXksKeyId } from '../xks/proxy-uri';
import { callerScope, type OperationContext } from './context';

/**
 * CreateKey with Origin EXTERNAL_KEY_STORE: a symmetric encryption key bound
 * to an external key (XksKeyId) of a connected external key store. The store's
 * Directory checks the key with the proxy (GetKeyMetadata) and claims it for
 * the new KMS key before the key's object exists; a creation that fails after
 * that gives the claim back.
 */
interface ExternalKeyRequest {
  CustomKeyStoreId?: string | undefined;
  XksKeyId?: string | undefined;
  MultiRegion: boolean;
}

/** The request's custom key store fields for any other origin: AWS KMS refuses them rather than ignore them. */
export function refuseExternalKeyFields(origin: string, input: ExternalKeyRequest): void {
  if (input.XksKeyId !== undefined) throw new ValidationException('XksKeyId is valid only with Origin EXTERNAL_KEY_STORE.');
  if (input.CustomKeyStoreId !== undefined) {
    throw new UnsupportedOperationException(`CustomKeyStoreId is valid only with Origin EXTERNAL_KEY_STORE here, not with Origin ${origin}.`);
  }
}

export async function claimExternalKey(
  ctx: OperationContext,
  input: ExternalKeyRequest,
  spec: KeySpec,
  usage: KeyUsage,
  keyId: string,
): Promise<ExternalKeyStoreBinding> {
  if (input.CustomKeyStoreId === undefined) throw new ValidationException('CustomKeyStoreId is required when Origin is EXTERNAL_KEY_STORE.');
  if (input.XksKeyId === undefined) throw new ValidationException('XksKeyId is required when Origin is EXTERNAL_KEY_STORE.');
  if (!isXksKeyId(input.XksKeyId)) {
    throw new ValidationException(`1 validation error detected: Value '${input.XksKeyId}' at 'xksKeyId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9-_.]+$`);
  }
  if (spec !== 'SYMMETRIC_DEFAULT' || usage !== 'ENCRYPT_DECRYPT') {
    throw new UnsupportedOperationException('Keys in an external key store must have KeySpec SYMMETRIC_DEFAULT and KeyUsage ENCRYPT_DECRYPT.');
  }
  if (input.MultiRegion) throw new UnsupportedOperationException('Multi-Region keys cannot be created in a custom key store.');
  const metadata = { awsPrincipalArn: ctx.principal.arn, kmsOperation: 'CreateKey', kmsRequestId: ctx.caller.request.requestId };
  unwrap(await directory(ctx.env, callerScope(ctx)).claimExternalKey(input.CustomKeyStoreId, input.XksKeyId, keyId, ctx.region, metadata));
  return { customKeyStoreId: input.CustomKeyStoreId, xksKeyId: input.XksKeyId };
}

/** After a failed CreateKey: the external key is free again. */
export async function releaseExternalKey(ctx: OperationContext, keyId: string): Promise<void> {
  await directory(ctx.env, callerScope(ctx)).releaseExternalKey(keyId);
}
