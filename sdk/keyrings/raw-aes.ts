/**
 * A keyring holding one AES key locally (spec: framework/raw-aes-keyring.md), compatible with the
 * official SDK's raw AES keyring given the same key namespace, key name and key bytes.
 *
 * Each data key is wrapped with AES-GCM under the wrapping key, a fresh random 12-byte IV, and the
 * serialized encryption context as AAD, so an EDK only unwraps under the context it was made for.
 *   provider id   = key namespace
 *   provider info = key name (UTF-8) | tag length in bits (4) = 128 | IV length (4) = 12 | IV
 *   ciphertext    = encrypted data key | tag (16)
 */
import { type Bytes, asBytes, compareBytes, copyBytes, randomBytes, utf8 } from '../bytes';
import { type AesGcmKey, aesGcmKeyFromCryptoKey, aesGcmOpen, aesGcmSeal, aesGcmUnwrapDataKey, importAesGcmKey } from '../crypto/aes-gcm';
import { InvalidArgumentError, KeyringError, NoDecryptableKeyError } from '../errors';
import { serializeEncryptionContext } from '../format';
import type { Keyring } from '../keyring';
import {
  type DecryptionMaterials,
  type EncryptedDataKey,
  type EncryptionMaterials,
  holdsDataKey,
  withEncryptedDataKey,
  withPlaintextDataKey,
  withUnwrappedDataKey,
} from '../materials';

const IV_LENGTH = 12;
const TAG_LENGTH = 16;

export interface RawAesKeyringOptions {
  /** Stored as the EDK's provider id. Must not start with "aws-kms", which KMS keyrings own. */
  readonly keyNamespace: string;
  /** Identifies the wrapping key within the namespace; stored in the EDK's provider info. */
  readonly keyName: string;
  /** 16, 24 or 32 key bytes, or an AES-GCM CryptoKey usable for encrypt and decrypt. */
  readonly wrappingKey: Uint8Array | CryptoKey;
}

export class RawAesKeyring implements Keyring {
  readonly keyNamespace: string;
  readonly keyName: string;
  /** What every provider info of this keyring starts with: key name | 128 (tag bits) | 12 (IV bytes). */
  private readonly infoPrefix: Bytes;
  /** How unwrap failures name this key. */
  private readonly unwrapWhat: string;
  private readonly wrappingKey: Promise<AesGcmKey>;

  constructor(options: RawAesKeyringOptions) {
    const { keyNamespace, keyName, wrappingKey } = options ?? ({} as RawAesKeyringOptions);
    if (typeof keyNamespace !== 'string' || typeof keyName !== 'string') {
      throw new InvalidArgumentError('RawAesKeyring needs a keyNamespace and a keyName');
    }
    if (keyNamespace.startsWith('aws-kms')) throw new InvalidArgumentError('keyNamespace must not start with "aws-kms"');
    this.keyNamespace = keyNamespace;
    this.keyName = keyName;
    const name = utf8(keyName);
    this.infoPrefix = new Uint8Array(name.byteLength + 8);
    this.infoPrefix.set(name, 0);
    this.infoPrefix.set([0, 0, 0, TAG_LENGTH * 8, 0, 0, 0, IV_LENGTH], name.byteLength);
    this.unwrapWhat = `raw AES key "${keyName}"`;
    this.wrappingKey = importWrappingKey(wrappingKey);
    // Each operation awaits the import; this only keeps a failed import from being reported as
    // an unhandled rejection before the first operation does.
    this.wrappingKey.catch(() => undefined);
  }

  async onEncrypt(materials: EncryptionMaterials): Promise<EncryptionMaterials> {
    const key = await this.wrappingKey;
    let result = materials;
    if (result.plaintextDataKey === undefined) {
      result = withPlaintextDataKey(result, randomBytes(result.suite.keyLength));
    }
    const iv = randomBytes(IV_LENGTH);
    const aad = serializeEncryptionContext(result.encryptionContext);
    const ciphertext = await aesGcmSeal(key, iv, aad, asBytes(result.plaintextDataKey!));
    return withEncryptedDataKey(result, {
      providerId: this.keyNamespace,
      providerInfo: this.providerInfo(iv),
      ciphertext,
    });
  }

  async onDecrypt(materials: DecryptionMaterials, encryptedDataKeys: readonly EncryptedDataKey[]): Promise<DecryptionMaterials> {
    if (holdsDataKey(materials)) throw new KeyringError('decryption materials already hold a data key');
    const key = await this.wrappingKey;
    // A committing suite's data key only ever feeds HKDF: unwrapped straight into an HKDF key
    // where WebCrypto can (aes-gcm.ts). Format 1 suites need its bytes.
    const open = materials.suite.kdf === 'HKDF-SHA512-COMMIT' ? aesGcmUnwrapDataKey : aesGcmOpen;
    const aads = [serializeEncryptionContext(materials.encryptionContext)];
    // The official JavaScript SDK's raw keyrings sort the AAD's keys with localeCompare unless
    // built with `utf8Sorting: true`; where that order differs, its EDKs only open under it. The
    // context itself is the same either way (and the header tag authenticates it), so trying both
    // orders accepts nothing that was not wrapped under this key for this context. The second
    // order is worked out only once the first has failed.
    let legacyChecked = false;
    const failures: unknown[] = [];
    for (const edk of encryptedDataKeys) {
      const iv = this.ivFor(edk, materials.suite.keyLength);
      if (iv === undefined) continue;
      for (let order = 0; order < aads.length; order++) {
        try {
          const dataKey = await open(key, iv, aads[order]!, asBytes(edk.ciphertext), this.unwrapWhat);
          return withUnwrappedDataKey(materials, dataKey);
        } catch (error) {
          failures.push(error);
        }
        if (!legacyChecked) {
          legacyChecked = true;
          const legacy = serializeEncryptionContext(materials.encryptionContext, true);
          if (compareBytes(legacy, aads[0]!) !== 0) aads.push(legacy);
        }
      }
    }
    throw new NoDecryptableKeyError(
      failures.length > 0
        ? `raw AES key "${this.keyName}" could not unwrap any of its encrypted data keys`
        : `no encrypted data key for raw AES key "${this.keyNamespace}/${this.keyName}"`,
      failures,
    );
  }

  private providerInfo(iv: Bytes): Bytes {
    const info = new Uint8Array(this.infoPrefix.byteLength + IV_LENGTH);
    info.set(this.infoPrefix, 0);
    info.set(iv, this.infoPrefix.byteLength);
    return info;
  }

  /** The IV of an EDK this keyring wrote (same namespace, name and parameters), else undefined. */
  private ivFor(edk: EncryptedDataKey, keyLength: number): Bytes | undefined {
    const prefix = this.infoPrefix;
    const info = edk.providerInfo;
    if (edk.providerId !== this.keyNamespace) return undefined;
    if (info.byteLength !== prefix.byteLength + IV_LENGTH) return undefined;
    if (compareBytes(info.subarray(0, prefix.byteLength), prefix) !== 0) return undefined;
    if (edk.ciphertext.byteLength !== keyLength + TAG_LENGTH) return undefined;
    return asBytes(info.subarray(prefix.byteLength));
  }
}

/** Checks the key synchronously, so a bad key fails at construction as the spec requires. */
function importWrappingKey(wrappingKey: Uint8Array | CryptoKey): Promise<AesGcmKey> {
  if (wrappingKey instanceof Uint8Array) {
    if (![16, 24, 32].includes(wrappingKey.byteLength)) {
      throw new InvalidArgumentError('wrappingKey must be 16, 24 or 32 bytes');
    }
    // Copied now, so later changes to the caller's array cannot change the key.
    const bits = wrappingKey.byteLength * 8;
    return importAesGcmKey(copyBytes(wrappingKey)).catch((error: unknown) => {
      // Chromium's WebCrypto, for one, has no 192-bit AES.
      throw new InvalidArgumentError(`this runtime's WebCrypto cannot use a ${bits}-bit AES-GCM key`, { cause: error });
    });
  }
  if (typeof CryptoKey !== 'undefined' && wrappingKey instanceof CryptoKey) {
    const { algorithm, usages } = wrappingKey;
    if (algorithm.name !== 'AES-GCM' || !usages.includes('encrypt') || !usages.includes('decrypt')) {
      throw new InvalidArgumentError('wrappingKey must be an AES-GCM CryptoKey with encrypt and decrypt usages');
    }
    return Promise.resolve(aesGcmKeyFromCryptoKey(wrappingKey));
  }
  throw new InvalidArgumentError('wrappingKey must be a Uint8Array or a CryptoKey');
}
