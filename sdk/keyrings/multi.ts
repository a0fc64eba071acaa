/**
 * Combines keyrings (spec: framework/multi-keyring.md): on encrypt the generator makes the data
 * key and wraps it, then every child wraps the same key, so any one of them can decrypt the
 * message; on decrypt the generator, then each child in order, tries to unwrap until one does.
 * Typical use: an EdgeKMS key as generator plus a raw AES escrow key as child.
 */
import { InvalidArgumentError, KeyringError, NoDecryptableKeyError } from '../errors';
import { type Keyring, isKeyring } from '../keyring';
import { type DecryptionMaterials, type EncryptedDataKey, type EncryptionMaterials, holdsDataKey } from '../materials';

export interface MultiKeyringOptions {
  /** Generates the data key on encrypt. Without one, the input materials must already have a key. */
  readonly generator?: Keyring;
  /** Each wraps the data key on encrypt, and is tried in order on decrypt. */
  readonly children?: readonly Keyring[];
}

export class MultiKeyring implements Keyring {
  readonly generator: Keyring | undefined;
  readonly children: readonly Keyring[];

  constructor(options: MultiKeyringOptions) {
    const { generator, children = [] } = options ?? {};
    if (generator !== undefined && !isKeyring(generator)) throw new InvalidArgumentError('generator must be a keyring');
    if (!Array.isArray(children) || !children.every(isKeyring)) throw new InvalidArgumentError('children must be keyrings');
    if (generator === undefined && children.length === 0) {
      throw new InvalidArgumentError('MultiKeyring needs a generator or at least one child');
    }
    this.generator = generator;
    this.children = Object.freeze([...children]);
  }

  async onEncrypt(materials: EncryptionMaterials): Promise<EncryptionMaterials> {
    let result = materials;
    if (this.generator !== undefined) {
      if (materials.plaintextDataKey !== undefined) {
        throw new KeyringError('MultiKeyring with a generator got materials that already hold a data key');
      }
      result = await this.generator.onEncrypt(materials);
      if (result.plaintextDataKey === undefined) throw new KeyringError('generator keyring returned no data key');
    } else if (materials.plaintextDataKey === undefined) {
      throw new KeyringError('MultiKeyring without a generator needs materials that hold a data key');
    }
    for (const child of this.children) result = await child.onEncrypt(result);
    return result;
  }

  async onDecrypt(materials: DecryptionMaterials, encryptedDataKeys: readonly EncryptedDataKey[]): Promise<DecryptionMaterials> {
    if (holdsDataKey(materials)) throw new KeyringError('decryption materials already hold a data key');
    const keyrings = this.generator === undefined ? this.children : [this.generator, ...this.children];
    const failures: unknown[] = [];
    for (const keyring of keyrings) {
      try {
        const result = await keyring.onDecrypt(materials, encryptedDataKeys);
        if (holdsDataKey(result)) return result;
        failures.push(new KeyringError('keyring returned no data key'));
      } catch (error) {
        failures.push(error);
      }
    }
    throw new NoDecryptableKeyError('no keyring of the MultiKeyring could unwrap an encrypted data key', failures);
  }
}
