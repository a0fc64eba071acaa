/**
 * The required encryption context CMM (spec: framework/required-encryption-context-cmm.md): wraps
 * a materials manager (or a keyring, behind the default one) and names context keys that every
 * message must be encrypted with and that are authenticated but not stored in the message. A
 * reader must supply them again (decrypt's `reproducedContext`): a message cannot be decrypted by
 * someone who only holds the ciphertext and the key, and the values never travel with it.
 *
 *   encrypt: the caller's context must hold every required key; the header leaves them out and
 *            its tag covers them (required-context.ts).
 *   decrypt: the reproduced context must hold every required key; the default manager merges it
 *            into the message's, and the header tag fails unless the values are the ones written.
 */
import { ContextMismatchError, InvalidArgumentError, KeyringError } from './errors';
import type { Keyring } from './keyring';
import type { DecryptionMaterials, EncryptionMaterials } from './materials';
import { type DecryptionRequest, type EncryptionRequest, type MaterialsManager, materialsManagerFor } from './materials-manager';

export interface RequiredEncryptionContextCMMOptions {
  /** What supplies the materials: a keyring (behind the default manager) or another manager. */
  readonly underlying: Keyring | MaterialsManager;
  /** Context keys every message must carry, authenticated and not stored. At least one. */
  readonly requiredEncryptionContextKeys: readonly string[];
}

export class RequiredEncryptionContextCMM implements MaterialsManager {
  readonly requiredEncryptionContextKeys: readonly string[];
  private readonly underlying: MaterialsManager;

  constructor(options: RequiredEncryptionContextCMMOptions) {
    const { underlying, requiredEncryptionContextKeys: keys } = options ?? ({} as RequiredEncryptionContextCMMOptions);
    if (!Array.isArray(keys) || keys.length === 0 || !keys.every((key) => typeof key === 'string' && key.length > 0)) {
      throw new InvalidArgumentError('requiredEncryptionContextKeys must be non-empty strings');
    }
    this.underlying = materialsManagerFor(underlying);
    this.requiredEncryptionContextKeys = Object.freeze([...new Set(keys)]);
  }

  async getEncryptionMaterials(request: EncryptionRequest): Promise<EncryptionMaterials> {
    const missing = this.requiredEncryptionContextKeys.filter((key) => !Object.hasOwn(request.encryptionContext ?? {}, key));
    if (missing.length > 0) throw new InvalidArgumentError(`encryption context lacks the required keys ${missing.join(', ')}`);
    const requiredContextKeys = [...new Set([...(request.requiredContextKeys ?? []), ...this.requiredEncryptionContextKeys])];
    const materials = await this.underlying.getEncryptionMaterials({ ...request, requiredContextKeys });
    if (!this.requiredEncryptionContextKeys.every((key) => materials.requiredContextKeys?.includes(key))) {
      throw new KeyringError('materials manager dropped the required encryption context keys');
    }
    return materials;
  }

  async decryptMaterials(request: DecryptionRequest): Promise<DecryptionMaterials> {
    const missing = this.requiredEncryptionContextKeys.filter((key) => !Object.hasOwn(request.reproducedContext ?? {}, key));
    if (missing.length > 0) throw new ContextMismatchError(`the reproduced encryption context lacks the required keys ${missing.join(', ')}`);
    const materials = await this.underlying.decryptMaterials(request);
    if (!this.requiredEncryptionContextKeys.every((key) => Object.hasOwn(materials.encryptionContext, key))) {
      throw new KeyringError('materials manager dropped the required encryption context');
    }
    return materials;
  }
}
