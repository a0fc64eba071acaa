/**
 * The keyring contract (spec: framework/keyring-interface.md). A keyring either generates the
 * data key and wraps it, or wraps a data key another keyring generated (onEncrypt); and it
 * unwraps one of a message's encrypted data keys, if it can (onDecrypt).
 *
 * Keyrings that call a service fit the same shape: the EdgeKMS keyring generates with
 * GenerateDataKey, wraps with Encrypt and unwraps with Decrypt, storing each EDK as the AWS
 * Encryption SDK's KMS keyring does (provider id "aws-kms", provider info = the key ARN as UTF-8,
 * ciphertext = the CiphertextBlob), which is why every method is asynchronous.
 */
import type { DecryptionMaterials, EncryptedDataKey, EncryptionMaterials } from './materials';

export interface Keyring {
  /**
   * Returns new materials that hold a plaintext data key (generated here if the input had none)
   * and one more encrypted data key per wrapping key of this keyring. Throws rather than
   * returning the input unchanged.
   */
  onEncrypt(materials: EncryptionMaterials): Promise<EncryptionMaterials>;

  /**
   * Returns new materials holding the data key unwrapped from one of `encryptedDataKeys`.
   * Throws (preferably NoDecryptableKeyError with the reasons) when none could be unwrapped, and
   * when `materials` already holds a data key.
   */
  onDecrypt(materials: DecryptionMaterials, encryptedDataKeys: readonly EncryptedDataKey[]): Promise<DecryptionMaterials>;
}

export function isKeyring(value: unknown): value is Keyring {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Keyring).onEncrypt === 'function' &&
    typeof (value as Keyring).onDecrypt === 'function'
  );
}
