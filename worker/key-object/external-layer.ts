import type { Caller } from '../auth/caller';
import type { Bindings } from '../env';
import { unwrap } from '../result';
import { directory } from '../stubs';
import { decodeExternalCiphertext, encodeExternalCiphertext } from '../xks/external-ciphertext';
import { cryptoError } from '../xks/failures';
import { recordArn, type KeyRecord } from './key-record';

/**
 * AWS's double encryption for a key in an external key store: the key's own
 * material (in this object, as for any key) encrypts first, then the external
 * key store proxy encrypts that ciphertext under the external key, with the
 * blob's header as AAD; decryption peels the two layers in reverse. Neither
 * party alone can decrypt: the proxy never sees the plaintext, and this
 * service cannot open a blob without the proxy. The proxy is reached through
 * the account's Directory, which holds the store and its credential
 * (directory/key-stores.ts); every failure is KMSInvalidStateException with
 * AWS's message (xks/failures.ts).
 */
export interface ExternalLayer {
  seal(header: Uint8Array, inner: Uint8Array): Promise<Uint8Array>;
  open(header: Uint8Array, outer: Uint8Array): Promise<Uint8Array>;
}

/** The KMS operation an action belongs to, as the proxy's requestMetadata names it. */
function kmsOperation(action: string): string {
  const name = action.replace(/^kms:/, '');
  return name === 'ReEncryptFrom' || name === 'ReEncryptTo' ? 'ReEncrypt' : name;
}

/** The layer for this key and request, or undefined for a key whose material is all its own. */
export function externalLayer(env: Bindings, record: KeyRecord, caller: Caller, action: string): ExternalLayer | undefined {
  const binding = record.externalKeyStore;
  if (!binding) return undefined;
  const store = directory(env, { account: record.account, region: record.region });
  const metadata = {
    awsPrincipalArn: caller.principal.arn,
    kmsKeyArn: recordArn(record),
    kmsOperation: kmsOperation(action),
    kmsRequestId: caller.request.requestId,
  };
  return {
    async seal(header, inner) {
      const answer = unwrap(await store.externalEncrypt(binding.customKeyStoreId, binding.xksKeyId, inner, header, record.region, metadata));
      if (!answer.ok) throw cryptoError(answer.failure);
      // AES-GCM keeps the length: anything else is not a ciphertext this layer can trust.
      if (answer.value.ciphertext.length !== inner.length) throw cryptoError('Malformed');
      return encodeExternalCiphertext(answer.value);
    },
    async open(header, outer) {
      const sealed = decodeExternalCiphertext(outer);
      const answer = unwrap(await store.externalDecrypt(binding.customKeyStoreId, binding.xksKeyId, sealed, header, record.region, metadata));
      if (!answer.ok) throw cryptoError(answer.failure);
      if (answer.value.length !== sealed.ciphertext.length) throw cryptoError('Malformed');
      return answer.value;
    },
  };
}
