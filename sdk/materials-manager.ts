/**
 * The default materials manager (spec: framework/default-cmm.md): turns a keyring into the
 * materials one message needs, adding what the suite requires around the keyring's work (a
 * per-message signing key and its public half in the context for signed suites) and checking
 * that the keyring kept its side of the contract. The caching manager (caching/) has the same shape.
 */
import { fromBase64, toBase64 } from './bytes';
import { checkP256VerificationKey } from './crypto/ecdsa-p256';
import { checkVerificationKey, generateSigningKeyPair } from './crypto/ecdsa-p384';
import { ContextMismatchError, InvalidArgumentError, KeyringError, MalformedMessageError } from './errors';
import { frozenContext } from './format';
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
  /** Context keys to authenticate without storing them in the message (RequiredEncryptionContextCMM). */
  readonly requiredContextKeys?: readonly string[];
}

export interface DecryptionRequest {
  readonly suite: AlgorithmSuite;
  /** The context read from the message header (not yet authenticated). */
  readonly encryptionContext: EncryptionContext;
  readonly encryptedDataKeys: readonly EncryptedDataKey[];
  /**
   * The context the caller supplied again (decrypt's `reproducedContext`): entries the message
   * stores must equal it; entries it does not store were authenticated only, and come from here.
   */
  readonly reproducedContext?: EncryptionContext;
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
    const required = requiredKeysOf(request.requiredContextKeys, context);
    let materials: EncryptionMaterials;
    if (suite.signed) {
      const { secretKey, publicKey } = await generateSigningKeyPair();
      materials = Object.freeze({
        suite,
        encryptionContext: frozenContext({ ...context, [PUBLIC_KEY_CONTEXT_KEY]: toBase64(publicKey) }),
        encryptedDataKeys: Object.freeze([]),
        signingKey: secretKey,
        ...required,
      });
    } else {
      materials = Object.freeze({ suite, encryptionContext: frozenContext(context), encryptedDataKeys: Object.freeze([]), ...required });
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
    if (result.requiredContextKeys !== materials.requiredContextKeys) throw new KeyringError('keyring changed the required context keys');
    return result;
  }

  async decryptMaterials(request: DecryptionRequest): Promise<DecryptionMaterials> {
    const { suite, encryptedDataKeys } = request;
    const { encryptionContext, required } = withReproducedContext(request.encryptionContext, request.reproducedContext);
    const encodedKey = encryptionContext[PUBLIC_KEY_CONTEXT_KEY];
    let materials: DecryptionMaterials;
    if (suite.signed) {
      if (encodedKey === undefined) throw new MalformedMessageError(`signed message without ${PUBLIC_KEY_CONTEXT_KEY}`);
      const verificationKey = fromBase64(encodedKey);
      if (verificationKey === undefined) throw new MalformedMessageError(`${PUBLIC_KEY_CONTEXT_KEY} is not base64`);
      if (suite.curve === 'P-256') checkP256VerificationKey(verificationKey);
      else await checkVerificationKey(verificationKey);
      materials = Object.freeze({ suite, encryptionContext, verificationKey, ...required });
    } else {
      // An unsigned message claiming a verification key was altered or mis-written.
      if (encodedKey !== undefined) throw new MalformedMessageError(`unsigned message with ${PUBLIC_KEY_CONTEXT_KEY}`);
      materials = Object.freeze({ suite, encryptionContext, ...required });
    }

    const result = await this.keyring.onDecrypt(materials, encryptedDataKeys);
    if (result.suite !== suite || result.encryptionContext !== encryptionContext) {
      throw new KeyringError('keyring changed the algorithm suite or the encryption context');
    }
    // The data key as bytes, or as an HKDF CryptoKey (which deriveMessageKeys checks in turn).
    if (result.plaintextDataKey?.byteLength !== suite.keyLength && result.hkdfDataKey === undefined) {
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

/** The required keys as materials carry them: each one in the context, none reserved. */
function requiredKeysOf(keys: readonly string[] | undefined, context: EncryptionContext): { requiredContextKeys?: readonly string[] } {
  if (keys === undefined || keys.length === 0) return {};
  for (const key of keys) {
    if (typeof key !== 'string' || !Object.hasOwn(context, key)) {
      throw new InvalidArgumentError(`encryption context lacks the required key "${String(key)}"`);
    }
  }
  return { requiredContextKeys: Object.freeze([...new Set(keys)]) };
}

/**
 * The context a message is decrypted under (spec: framework/default-cmm.md, decrypt materials):
 * the stored entries, each of which the reproduced context must match where it has the key, plus
 * the reproduced entries the message does not store, which the header tag then authenticates.
 */
function withReproducedContext(
  stored: EncryptionContext,
  reproduced: EncryptionContext | undefined,
): { encryptionContext: EncryptionContext; required: { requiredContextKeys?: readonly string[] } } {
  if (reproduced === undefined) return { encryptionContext: stored, required: {} };
  checkCallerContext(reproduced);
  const onlyAuthenticated: string[] = [];
  for (const [key, value] of Object.entries(reproduced)) {
    if (!Object.hasOwn(stored, key)) onlyAuthenticated.push(key);
    else if (stored[key] !== value) throw new ContextMismatchError(`encryption context entry "${key}" differs from the reproduced context`);
  }
  if (onlyAuthenticated.length === 0) return { encryptionContext: stored, required: {} };
  const merged: Record<string, string> = { ...stored };
  for (const key of onlyAuthenticated) merged[key] = reproduced[key]!;
  return { encryptionContext: frozenContext(merged), required: { requiredContextKeys: Object.freeze(onlyAuthenticated) } };
}
