/**
 * The default materials manager (spec: framework/default-cmm.md): turns a keyring into the
 * materials one message needs, adding what the suite requires around the keyring's work (a
 * per-message signing key and its public half in the context for signed suites) and checking
 * that the keyring kept its side of the contract. The caching manager (caching/) has the same shape.
 */
import { fromBase64, toBase64 } from './bytes';
import { checkVerificationKey, generateSigningKeyPair } from './crypto/ecdsa-p384';
import { InvalidArgumentError, KeyringError, MalformedMessageError } from './errors';
import { type Keyring, isKeyring } from './keyring';
import {
  type DecryptionMaterials,
  type EncryptedDataKey,
  type EncryptionContext,
  type EncryptionMaterials,
  PUBLIC_KEY_CONTEXT_KEY,
  RESERVED_CONTEXT_PREFIX,
} from './materials';
import type { AlgorithmSuite } from './suites';

export interface EncryptionRequest {
  readonly suite: AlgorithmSuite;
  /** The caller's context, without reserved entries. */
  readonly encryptionContext: EncryptionContext;
  /** Bytes about to be encrypted, when known (a cache uses it to enforce byte limits). */
  readonly plaintextLength?: number;
}

export interface DecryptionRequest {
  readonly suite: AlgorithmSuite;
  /** The context read from the message header (not yet authenticated). */
  readonly encryptionContext: EncryptionContext;
  readonly encryptedDataKeys: readonly EncryptedDataKey[];
}

export interface MaterialsManager {
  getEncryptionMaterials(request: EncryptionRequest): Promise<EncryptionMaterials>;
  decryptMaterials(request: DecryptionRequest): Promise<DecryptionMaterials>;
}

export function isMaterialsManager(value: unknown): value is MaterialsManager {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as MaterialsManager).getEncryptionMaterials === 'function' &&
    typeof (value as MaterialsManager).decryptMaterials === 'function'
  );
}

/** What encrypt and decrypt accept: a materials manager as is, a keyring behind the default one. */
export function materialsManagerFor(keyringOrManager: Keyring | MaterialsManager): MaterialsManager {
  if (isMaterialsManager(keyringOrManager)) return keyringOrManager;
  if (isKeyring(keyringOrManager)) return new DefaultMaterialsManager(keyringOrManager);
  throw new InvalidArgumentError('expected a keyring or a materials manager');
}

export class DefaultMaterialsManager implements MaterialsManager {
  constructor(private readonly keyring: Keyring) {}

  async getEncryptionMaterials(request: EncryptionRequest): Promise<EncryptionMaterials> {
    const { suite } = request;
    const context = checkCallerContext(request.encryptionContext);
    let materials: EncryptionMaterials;
    if (suite.signed) {
      const { secretKey, publicKey } = await generateSigningKeyPair();
      materials = Object.freeze({
        suite,
        encryptionContext: Object.freeze({ ...context, [PUBLIC_KEY_CONTEXT_KEY]: toBase64(publicKey) }),
        encryptedDataKeys: Object.freeze([]),
        signingKey: secretKey,
      });
    } else {
      materials = Object.freeze({ suite, encryptionContext: Object.freeze({ ...context }), encryptedDataKeys: Object.freeze([]) });
    }

    const result = await this.keyring.onEncrypt(materials);
    if (result.suite !== suite || result.encryptionContext !== materials.encryptionContext) {
      throw new KeyringError('keyring changed the algorithm suite or the encryption context');
    }
    if (result.plaintextDataKey?.byteLength !== suite.keyLength) {
      throw new KeyringError(`keyring returned no ${suite.keyLength}-byte data key`);
    }
    if (result.encryptedDataKeys.length === 0) throw new KeyringError('keyring returned no encrypted data key');
    if (result.signingKey !== materials.signingKey) throw new KeyringError('keyring changed the signing key');
    return result;
  }

  async decryptMaterials(request: DecryptionRequest): Promise<DecryptionMaterials> {
    const { suite, encryptionContext, encryptedDataKeys } = request;
    const encodedKey = encryptionContext[PUBLIC_KEY_CONTEXT_KEY];
    let materials: DecryptionMaterials;
    if (suite.signed) {
      if (encodedKey === undefined) throw new MalformedMessageError(`signed message without ${PUBLIC_KEY_CONTEXT_KEY}`);
      const verificationKey = fromBase64(encodedKey);
      if (verificationKey === undefined) throw new MalformedMessageError(`${PUBLIC_KEY_CONTEXT_KEY} is not base64`);
      await checkVerificationKey(verificationKey);
      materials = Object.freeze({ suite, encryptionContext, verificationKey });
    } else {
      // An unsigned message claiming a verification key was altered or mis-written.
      if (encodedKey !== undefined) throw new MalformedMessageError(`unsigned message with ${PUBLIC_KEY_CONTEXT_KEY}`);
      materials = Object.freeze({ suite, encryptionContext });
    }

    const result = await this.keyring.onDecrypt(materials, encryptedDataKeys);
    if (result.suite !== suite || result.encryptionContext !== encryptionContext) {
      throw new KeyringError('keyring changed the algorithm suite or the encryption context');
    }
    if (result.plaintextDataKey?.byteLength !== suite.keyLength) {
      throw new KeyringError(`keyring returned no ${suite.keyLength}-byte data key`);
    }
    return result;
  }
}

/** The caller's context must be strings only and must leave the reserved prefix alone. */
export function checkCallerContext(context: EncryptionContext): EncryptionContext {
  if (typeof context !== 'object' || context === null || Array.isArray(context)) {
    throw new InvalidArgumentError('encryption context must be an object of strings');
  }
  for (const [key, value] of Object.entries(context)) {
    if (typeof value !== 'string') throw new InvalidArgumentError(`encryption context value of "${key}" must be a string`);
    if (key.startsWith(RESERVED_CONTEXT_PREFIX)) {
      throw new InvalidArgumentError(`encryption context keys starting with "${RESERVED_CONTEXT_PREFIX}" are reserved`);
    }
  }
  return context;
}
