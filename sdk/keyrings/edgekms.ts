/**
 * The EdgeKMS keyring: data keys generated, wrapped and unwrapped by the EdgeKMS service
 * (GenerateDataKey, Encrypt, Decrypt), stored exactly as the AWS Encryption SDK's KMS keyring
 * stores them, so either SDK's keyring, pointed at EdgeKMS, reads the other's messages:
 *   provider id   = "aws-kms"
 *   provider info = the key ARN the service returned, as UTF-8
 *   ciphertext    = the service's CiphertextBlob
 * Every call passes the message's encryption context (including, for signed suites, the public
 * key entry), which the service binds to the blob and key policies can test.
 *
 * On decrypt only EDKs of the configured keys are tried: an EDK names the key to ask, and a
 * hostile message could otherwise make the client call whatever key it names. `discovery: true`
 * lifts that, for decrypt-only keyrings, optionally narrowed by a `discoveryFilter`.
 *
 * Each EDK the keyring accepts can cost one Decrypt request (and one audit record), tried in turn
 * until one unwraps; so a message with more EDKs than `maxEncryptedDataKeys` is refused before
 * the first request, as the AWS Encryption SDK's option of that name does.
 *
 * By default every GenerateDataKey and Decrypt names a Recipient, the public half of a
 * non-extractable ECDH key held by this runtime (recipient-key.ts), and the data key comes back
 * as a JWE only that key opens (crypto/recipient-jwe.ts): no response body holds a plaintext data
 * key, in browsers, Workers and Node alike. `recipient: false` asks for the Plaintext instead, as
 * the AWS Encryption SDK's KMS keyring does; a key whose policy requires a recipient
 * (edgekms:RecipientRequired) then refuses the keyring.
 */
import { asBytes, fromUtf8, utf8 } from '../bytes';
import { InvalidArgumentError, KeyringError, NoDecryptableKeyError, TooManyEncryptedDataKeysError } from '../errors';
import type { Keyring } from '../keyring';
import {
  type DecryptionMaterials,
  type EncryptedDataKey,
  type EncryptionContext,
  type EncryptionMaterials,
  holdsDataKey,
  withEncryptedDataKey,
  withPlaintextDataKey,
} from '../materials';
import type { KmsClient } from '../client/client';
import { openRecipientJwe } from '../crypto/recipient-jwe';
import { type RecipientKey, type RecipientOption, recipientSource } from './recipient-key';

export const KMS_PROVIDER_ID = 'aws-kms';

/**
 * The most encrypted data keys an EdgeKmsKeyring accepts in a message it decrypts, unless told
 * otherwise: 10. A message the keyring wrote has one per configured key (generator plus keyIds),
 * so real messages are far below it, while a hostile message of 65535 EDKs naming keys of the
 * account would otherwise make a discovery keyring send 65535 Decrypt requests.
 */
export const DEFAULT_KEYRING_MAX_ENCRYPTED_DATA_KEYS = 10;

/** The calls the keyring makes: a client from `createClient`, or anything with these methods. */
export type EdgeKmsKeyringClient = Pick<KmsClient, 'generateDataKey' | 'encrypt' | 'decrypt'>;

export interface DiscoveryFilter {
  /** Only keys in these accounts. */
  readonly accountIds: readonly string[];
  /** Only keys in this partition (the ARN's second field), e.g. "aws". */
  readonly partition: string;
}

export interface EdgeKmsKeyringOptions {
  readonly client: EdgeKmsKeyringClient;
  /**
   * Generates the data key on encrypt (key id, key ARN, alias name or alias ARN). Optional when
   * this keyring is a MultiKeyring child that only wraps, or a discovery keyring.
   */
  readonly generatorKeyId?: string;
  /** Further keys that each wrap the data key on encrypt. */
  readonly keyIds?: readonly string[];
  /** Passed on every call, as AWS KMS grant tokens. */
  readonly grantTokens?: readonly string[];
  /**
   * Decrypt-only: try EDKs of any key ARN, not only the configured ones. Off unless set; cannot
   * be combined with generatorKeyId or keyIds.
   */
  readonly discovery?: boolean;
  /** With discovery: only ARNs of these accounts and this partition. */
  readonly discoveryFilter?: DiscoveryFilter;
  /**
   * On decrypt, refuse a message with more encrypted data keys than this (all of them counted,
   * whatever their provider), with TooManyEncryptedDataKeysError and before any request. Default
   * DEFAULT_KEYRING_MAX_ENCRYPTED_DATA_KEYS (10); raise it for messages shared among more keys.
   */
  readonly maxEncryptedDataKeys?: number;
  /**
   * How data keys travel from the service. `true` (the default, in every runtime): wrapped to a
   * non-extractable ECDH P-256 key that this keyring's client holds in memory (one per client
   * object), never as Plaintext. `{ store: 'indexeddb', databaseName? }`: the same with the key
   * kept in IndexedDB, so it survives reloads (a key policy may pin its thumbprint). `false`: the
   * Plaintext, as the AWS Encryption SDK's KMS keyring receives it.
   */
  readonly recipient?: RecipientOption;
}

export class EdgeKmsKeyring implements Keyring {
  readonly generatorKeyId: string | undefined;
  readonly keyIds: readonly string[];
  readonly grantTokens: readonly string[] | undefined;
  readonly discovery: boolean;
  readonly discoveryFilter: DiscoveryFilter | undefined;
  readonly maxEncryptedDataKeys: number;
  /** Whether requests name a Recipient (the `recipient` option is not false). */
  readonly usesRecipient: boolean;
  private readonly client: EdgeKmsKeyringClient;
  private readonly recipientKey: ((client: object) => Promise<RecipientKey>) | undefined;

  constructor(options: EdgeKmsKeyringOptions) {
    const {
      client,
      generatorKeyId,
      keyIds = [],
      grantTokens,
      discovery = false,
      discoveryFilter,
      maxEncryptedDataKeys = DEFAULT_KEYRING_MAX_ENCRYPTED_DATA_KEYS,
      recipient,
    } = options ?? ({} as EdgeKmsKeyringOptions);
    if (
      typeof client !== 'object' ||
      client === null ||
      typeof client.generateDataKey !== 'function' ||
      typeof client.encrypt !== 'function' ||
      typeof client.decrypt !== 'function'
    ) {
      throw new InvalidArgumentError('EdgeKmsKeyring needs a client (createClient)');
    }
    if (generatorKeyId !== undefined && !isNonEmptyString(generatorKeyId)) {
      throw new InvalidArgumentError('generatorKeyId must be a non-empty string');
    }
    if (!Array.isArray(keyIds) || !keyIds.every(isNonEmptyString)) {
      throw new InvalidArgumentError('keyIds must be non-empty strings');
    }
    if (grantTokens !== undefined && (!Array.isArray(grantTokens) || !grantTokens.every(isNonEmptyString))) {
      throw new InvalidArgumentError('grantTokens must be non-empty strings');
    }
    if (typeof discovery !== 'boolean') throw new InvalidArgumentError('discovery must be a boolean');
    if (discovery && (generatorKeyId !== undefined || keyIds.length > 0)) {
      throw new InvalidArgumentError('a discovery keyring takes no generatorKeyId or keyIds');
    }
    if (!discovery && generatorKeyId === undefined && keyIds.length === 0) {
      throw new InvalidArgumentError('EdgeKmsKeyring needs a generatorKeyId, keyIds, or discovery: true');
    }
    if (discoveryFilter !== undefined) {
      if (!discovery) throw new InvalidArgumentError('discoveryFilter needs discovery: true');
      const { accountIds, partition } = discoveryFilter;
      if (!Array.isArray(accountIds) || accountIds.length === 0 || !accountIds.every(isNonEmptyString) || !isNonEmptyString(partition)) {
        throw new InvalidArgumentError('discoveryFilter needs accountIds and a partition');
      }
    }
    if (!Number.isSafeInteger(maxEncryptedDataKeys) || maxEncryptedDataKeys < 1) {
      throw new InvalidArgumentError('maxEncryptedDataKeys must be a positive integer');
    }
    this.recipientKey = recipientSource(recipient);
    this.usesRecipient = this.recipientKey !== undefined;
    this.client = client;
    this.maxEncryptedDataKeys = maxEncryptedDataKeys;
    this.generatorKeyId = generatorKeyId;
    this.keyIds = Object.freeze([...keyIds]);
    this.grantTokens = grantTokens === undefined ? undefined : Object.freeze([...grantTokens]);
    this.discovery = discovery;
    this.discoveryFilter = discoveryFilter && Object.freeze({ accountIds: Object.freeze([...discoveryFilter.accountIds]), partition: discoveryFilter.partition });
  }

  async onEncrypt(materials: EncryptionMaterials): Promise<EncryptionMaterials> {
    if (this.discovery) throw new KeyringError('a discovery EdgeKmsKeyring cannot encrypt');
    const { suite } = materials;
    const context = contextField(materials.encryptionContext);
    let result = materials;
    let wrappers = this.keyIds;
    if (result.plaintextDataKey === undefined) {
      if (this.generatorKeyId === undefined) {
        throw new KeyringError('EdgeKmsKeyring without a generatorKeyId needs materials that already hold a data key');
      }
      const recipient = await this.recipient();
      const generated = await this.client.generateDataKey({
        KeyId: this.generatorKeyId,
        NumberOfBytes: suite.keyLength,
        ...context,
        ...this.grantTokenField(),
        ...recipientField(recipient),
      });
      const dataKey = await dataKeyOf(generated, recipient, suite.keyLength, 'GenerateDataKey');
      result = withPlaintextDataKey(result, dataKey);
      result = withEncryptedDataKey(result, this.encryptedDataKey(generated.KeyId, generated.CiphertextBlob, 'GenerateDataKey'));
    } else if (this.generatorKeyId !== undefined) {
      // As a child of a MultiKeyring the generator key wraps the existing data key like any other.
      wrappers = [this.generatorKeyId, ...wrappers];
    }
    for (const keyId of wrappers) {
      const wrapped = await this.client.encrypt({
        KeyId: keyId,
        Plaintext: result.plaintextDataKey!,
        ...context,
        ...this.grantTokenField(),
      });
      result = withEncryptedDataKey(result, this.encryptedDataKey(wrapped.KeyId, wrapped.CiphertextBlob, 'Encrypt'));
    }
    return result;
  }

  async onDecrypt(materials: DecryptionMaterials, encryptedDataKeys: readonly EncryptedDataKey[]): Promise<DecryptionMaterials> {
    if (holdsDataKey(materials)) throw new KeyringError('decryption materials already hold a data key');
    if (encryptedDataKeys.length > this.maxEncryptedDataKeys) {
      throw new TooManyEncryptedDataKeysError(
        `message has ${encryptedDataKeys.length} encrypted data keys; this EdgeKmsKeyring's limit (maxEncryptedDataKeys) is ${this.maxEncryptedDataKeys}`,
      );
    }
    const { suite } = materials;
    const context = contextField(materials.encryptionContext);
    const failures: unknown[] = [];
    for (const edk of encryptedDataKeys) {
      if (edk.providerId !== KMS_PROVIDER_ID) continue;
      const arn = fromUtf8(edk.providerInfo);
      if (arn === undefined || !this.mayDecryptWith(arn)) continue;
      try {
        const recipient = await this.recipient();
        const output = await this.client.decrypt({
          KeyId: arn,
          CiphertextBlob: edk.ciphertext,
          ...context,
          ...this.grantTokenField(),
          ...recipientField(recipient),
        });
        // The service must have used the very key the EDK names, or a swapped EDK could make a
        // key the caller never chose supply the data key.
        if (output.KeyId !== arn) throw new KeyringError(`Decrypt used key ${output.KeyId}, not ${arn}`);
        return withPlaintextDataKey(materials, await dataKeyOf(output, recipient, suite.keyLength, `Decrypt with ${arn}`));
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) {
      throw new NoDecryptableKeyError(`EdgeKMS could not unwrap any of the message's ${KMS_PROVIDER_ID} encrypted data keys`, failures);
    }
    throw new NoDecryptableKeyError(this.noMatchMessage(encryptedDataKeys));
  }

  /** Says which keys the message has and which this keyring accepts, since the fix is usually to configure an ARN. */
  private noMatchMessage(encryptedDataKeys: readonly EncryptedDataKey[]): string {
    const present = encryptedDataKeys
      .filter((edk) => edk.providerId === KMS_PROVIDER_ID)
      .map((edk) => fromUtf8(edk.providerInfo) ?? '(not UTF-8)');
    const where = present.length === 0 ? 'the message has none' : `the message's are for ${present.join(', ')}`;
    if (this.discovery) return `no ${KMS_PROVIDER_ID} encrypted data key the discovery filter allows: ${where}`;
    const configured = this.generatorKeyId === undefined ? this.keyIds : [this.generatorKeyId, ...this.keyIds];
    const hint = configured.some((id) => id.startsWith('alias/') || id.includes(':alias/'))
      ? ' (aliases never match an encrypted data key: configure key ARNs or key ids to decrypt)'
      : '';
    return `no ${KMS_PROVIDER_ID} encrypted data key for a configured key: ${where}; configured: ${configured.join(', ')}${hint}`;
  }

  /**
   * Configured identifiers match an EDK's ARN when equal to it, or when a bare key id equals the
   * ARN's `key/<id>` resource. Aliases name no ARN without a call, so they never match; configure
   * key ARNs (as with the AWS Encryption SDK) to decrypt through an alias-configured keyring.
   */
  private mayDecryptWith(arn: string): boolean {
    const parsed = parseKeyArn(arn);
    if (parsed === undefined) return false;
    if (this.discovery) {
      const filter = this.discoveryFilter;
      return filter === undefined || (filter.partition === parsed.partition && filter.accountIds.includes(parsed.account));
    }
    const configured = this.generatorKeyId === undefined ? this.keyIds : [this.generatorKeyId, ...this.keyIds];
    return configured.some((id) => id === arn || id === parsed.keyId);
  }

  private encryptedDataKey(keyArn: unknown, ciphertext: unknown, operation: string): EncryptedDataKey {
    if (typeof keyArn !== 'string' || parseKeyArn(keyArn) === undefined) {
      throw new KeyringError(`${operation} returned no key ARN`);
    }
    if (!(ciphertext instanceof Uint8Array) || ciphertext.byteLength === 0) {
      throw new KeyringError(`${operation} returned no CiphertextBlob`);
    }
    return Object.freeze({ providerId: KMS_PROVIDER_ID, providerInfo: utf8(keyArn), ciphertext: asBytes(ciphertext) });
  }

  private recipient(): Promise<RecipientKey | undefined> {
    return this.recipientKey === undefined ? Promise.resolve(undefined) : this.recipientKey(this.client);
  }

  private grantTokenField(): { GrantTokens?: readonly string[] } {
    return this.grantTokens === undefined ? {} : { GrantTokens: this.grantTokens };
  }
}

/** `arn:<partition>:kms:<region>:<account>:key/<id>`, or undefined for anything else. */
export function parseKeyArn(arn: string): { partition: string; region: string; account: string; keyId: string } | undefined {
  const match = /^arn:([a-z0-9-]+):kms:([a-z0-9-]+):(\d{12}):key\/([A-Za-z0-9-]+)$/.exec(arn);
  if (match === null) return undefined;
  return { partition: match[1]!, region: match[2]!, account: match[3]!, keyId: match[4]! };
}

function recipientField(recipient: RecipientKey | undefined): { Recipient?: RecipientKey['request'] } {
  return recipient === undefined ? {} : { Recipient: recipient.request };
}

/**
 * The data key of a GenerateDataKey or Decrypt answer: opened from CiphertextForRecipient when a
 * Recipient was named, else its Plaintext. With a recipient, an answer that carries a Plaintext
 * anyway is refused: the service did not do what was asked (an older version, or something in
 * between rewriting requests), and the caller must learn that data keys are travelling in the clear.
 */
async function dataKeyOf(
  output: { Plaintext?: unknown; CiphertextForRecipient?: unknown },
  recipient: RecipientKey | undefined,
  keyLength: number,
  operation: string,
): Promise<Uint8Array<ArrayBuffer>> {
  let dataKey: Uint8Array | undefined;
  if (recipient === undefined) {
    if (output.Plaintext instanceof Uint8Array) dataKey = asBytes(output.Plaintext);
  } else {
    if (output.Plaintext !== undefined) throw new KeyringError(`${operation} answered with a Plaintext although the request named a Recipient`);
    if (!(output.CiphertextForRecipient instanceof Uint8Array)) throw new KeyringError(`${operation} returned no CiphertextForRecipient`);
    dataKey = await openRecipientJwe(output.CiphertextForRecipient, recipient.privateKey, { expectedKid: recipient.thumbprint });
  }
  if (dataKey === undefined || dataKey.byteLength !== keyLength) throw new KeyringError(`${operation} returned no ${keyLength}-byte data key`);
  return asBytes(dataKey);
}

/** Empty contexts are left out of requests, as the service binds "no context" and {} alike. */
function contextField(context: EncryptionContext): { EncryptionContext?: EncryptionContext } {
  return Object.keys(context).length === 0 ? {} : { EncryptionContext: context };
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}
