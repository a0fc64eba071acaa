/**
 * A keyring holding an RSA key pair locally (spec: framework/raw-rsa-keyring.md), compatible with
 * the official SDK's raw RSA keyrings (RawRsaKeyringNode, RawRsaKeyringWebCrypto) given the same
 * key namespace, key name, key and padding:
 *   provider id   = key namespace
 *   provider info = key name (UTF-8)
 *   ciphertext    = the data key encrypted with the public key (modulus length)
 * The encryption context is not bound to the EDK (RSA encryption has no AAD); the header tag and
 * key commitment bind it to the message.
 *
 * Paddings, named as the specification names them: "OAEP-SHA1-MGF1", "OAEP-SHA256-MGF1",
 * "OAEP-SHA384-MGF1", "OAEP-SHA512-MGF1" (WebCrypto's RSA-OAEP, MGF1 with the same hash, empty
 * label: what the official Node keyring does with `oaepHash`), and "PKCS1" (RSAES-PKCS1-v1_5,
 * which WebCrypto lacks: crypto/rsa-pkcs1.ts, with implicit rejection, so a PKCS1 keyring never
 * says whether a padding was bad; an EDK it cannot open yields a wrong data key, which the message's
 * key commitment or header tag then refuses). Prefer OAEP: PKCS1 is for reading and writing
 * messages with systems that still use it.
 */
import { type Bytes, asBytes, compareBytes, fromBase64, randomBytes, utf8 } from '../bytes';
import {
  type RsaPrivateComponents,
  type RsaPublicComponents,
  pkcs1DecryptKey,
  pkcs1Encrypt,
  rsaPrivateComponents,
  rsaPublicComponents,
} from '../crypto/rsa-pkcs1';
import { InvalidArgumentError, KeyringError, NoDecryptableKeyError } from '../errors';
import type { Keyring } from '../keyring';
import {
  type DecryptionMaterials,
  type EncryptedDataKey,
  type EncryptionMaterials,
  holdsDataKey,
  withEncryptedDataKey,
  withPlaintextDataKey,
} from '../materials';

export type RsaPadding = 'PKCS1' | 'OAEP-SHA1-MGF1' | 'OAEP-SHA256-MGF1' | 'OAEP-SHA384-MGF1' | 'OAEP-SHA512-MGF1';

const OAEP_HASHES: Readonly<Record<Exclude<RsaPadding, 'PKCS1'>, string>> = {
  'OAEP-SHA1-MGF1': 'SHA-1',
  'OAEP-SHA256-MGF1': 'SHA-256',
  'OAEP-SHA384-MGF1': 'SHA-384',
  'OAEP-SHA512-MGF1': 'SHA-512',
};

/**
 * An RSA key: PEM text ("PUBLIC KEY" = SPKI, "PRIVATE KEY" = PKCS #8, as Node's generateKeyPair
 * writes them), the same as DER bytes, a JWK, or a WebCrypto CryptoKey (RSA-OAEP with the
 * padding's hash for OAEP; extractable, for PKCS1, whose arithmetic is not WebCrypto's).
 */
export type RsaKeyInput = string | Uint8Array | JsonWebKey | CryptoKey;

export interface RawRsaKeyringOptions {
  /** Stored as the EDK's provider id. Must not start with "aws-kms", which KMS keyrings own. */
  readonly keyNamespace: string;
  /** Identifies the key pair within the namespace; stored as the EDK's provider info. */
  readonly keyName: string;
  readonly padding: RsaPadding;
  /** Needed to encrypt. */
  readonly publicKey?: RsaKeyInput;
  /** Needed to decrypt. */
  readonly privateKey?: RsaKeyInput;
}

type PreparedKey =
  | { readonly kind: 'oaep'; readonly key: CryptoKey }
  | { readonly kind: 'pkcs1-public'; readonly key: RsaPublicComponents }
  | { readonly kind: 'pkcs1-private'; readonly key: RsaPrivateComponents };

export class RawRsaKeyring implements Keyring {
  readonly keyNamespace: string;
  readonly keyName: string;
  readonly padding: RsaPadding;
  private readonly keyNameBytes: Bytes;
  private readonly publicKey: Promise<PreparedKey> | undefined;
  private readonly privateKey: Promise<PreparedKey> | undefined;

  constructor(options: RawRsaKeyringOptions) {
    const { keyNamespace, keyName, padding, publicKey, privateKey } = options ?? ({} as RawRsaKeyringOptions);
    if (typeof keyNamespace !== 'string' || typeof keyName !== 'string') {
      throw new InvalidArgumentError('RawRsaKeyring needs a keyNamespace and a keyName');
    }
    if (keyNamespace.startsWith('aws-kms')) throw new InvalidArgumentError('keyNamespace must not start with "aws-kms"');
    if (padding !== 'PKCS1' && !Object.hasOwn(OAEP_HASHES, padding)) {
      throw new InvalidArgumentError(`padding must be one of PKCS1, ${Object.keys(OAEP_HASHES).join(', ')}`);
    }
    if (publicKey === undefined && privateKey === undefined) throw new InvalidArgumentError('RawRsaKeyring needs a publicKey, a privateKey or both');
    this.keyNamespace = keyNamespace;
    this.keyName = keyName;
    this.padding = padding;
    this.keyNameBytes = utf8(keyName);
    this.publicKey = publicKey === undefined ? undefined : prepareKey(publicKey, padding, 'public');
    this.privateKey = privateKey === undefined ? undefined : prepareKey(privateKey, padding, 'private');
    // Each operation awaits its key; this only keeps a failed import from being reported as an
    // unhandled rejection before the first operation does.
    this.publicKey?.catch(() => undefined);
    this.privateKey?.catch(() => undefined);
  }

  async onEncrypt(materials: EncryptionMaterials): Promise<EncryptionMaterials> {
    if (this.publicKey === undefined) throw new KeyringError(`raw RSA keyring "${this.keyName}" has no public key to encrypt with`);
    const key = await this.publicKey;
    let result = materials;
    if (result.plaintextDataKey === undefined) result = withPlaintextDataKey(result, randomBytes(result.suite.keyLength));
    const dataKey = asBytes(result.plaintextDataKey!);
    let ciphertext: Bytes;
    if (key.kind === 'oaep') {
      ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: 'RSA-OAEP' }, key.key, dataKey));
    } else if (key.kind === 'pkcs1-public') {
      ciphertext = pkcs1Encrypt(key.key, dataKey);
    } else {
      throw new KeyringError('RSA key prepared for the wrong use');
    }
    return withEncryptedDataKey(result, { providerId: this.keyNamespace, providerInfo: this.keyNameBytes, ciphertext });
  }

  async onDecrypt(materials: DecryptionMaterials, encryptedDataKeys: readonly EncryptedDataKey[]): Promise<DecryptionMaterials> {
    if (holdsDataKey(materials)) throw new KeyringError('decryption materials already hold a data key');
    const mine = encryptedDataKeys.filter(
      (edk) => edk.providerId === this.keyNamespace && compareBytes(edk.providerInfo, this.keyNameBytes) === 0,
    );
    if (mine.length === 0) throw new NoDecryptableKeyError(`no encrypted data key for raw RSA key "${this.keyNamespace}/${this.keyName}"`);
    if (this.privateKey === undefined) throw new KeyringError(`raw RSA keyring "${this.keyName}" has no private key to decrypt with`);
    const key = await this.privateKey;
    const { keyLength } = materials.suite;
    const failures: unknown[] = [];
    for (const edk of mine) {
      try {
        if (key.kind === 'pkcs1-private') return withPlaintextDataKey(materials, pkcs1DecryptKey(key.key, edk.ciphertext, keyLength));
        if (key.kind !== 'oaep') throw new KeyringError('RSA key prepared for the wrong use');
        const dataKey = new Uint8Array(await crypto.subtle.decrypt({ name: 'RSA-OAEP' }, key.key, asBytes(edk.ciphertext)));
        if (dataKey.byteLength !== keyLength) throw new KeyringError(`raw RSA key "${this.keyName}" unwrapped ${dataKey.byteLength} bytes, not ${keyLength}`);
        return withPlaintextDataKey(materials, dataKey);
      } catch (error) {
        failures.push(error);
      }
    }
    throw new NoDecryptableKeyError(`raw RSA key "${this.keyName}" could not unwrap any of its encrypted data keys`, failures);
  }
}

function isCryptoKey(value: unknown): value is CryptoKey {
  return typeof CryptoKey !== 'undefined' && value instanceof CryptoKey;
}

/** PEM, DER or JWK as the WebCrypto import format and data; PEM's label says which half it is. */
function importable(input: string | Uint8Array | JsonWebKey, half: 'public' | 'private'): ['spki' | 'pkcs8', Bytes] | ['jwk', JsonWebKey] {
  const label = half === 'public' ? 'PUBLIC KEY' : 'PRIVATE KEY';
  const format = half === 'public' ? 'spki' : 'pkcs8';
  if (typeof input === 'string') {
    const match = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/.exec(input);
    if (match === null || match[1] !== label) {
      throw new InvalidArgumentError(`${half}Key must be PEM "${label}" (${format}); convert PKCS #1 "RSA ${label}" PEM with openssl pkey`);
    }
    const der = fromBase64(match[2]!.replace(/\s+/g, ''));
    if (der === undefined) throw new InvalidArgumentError(`${half}Key PEM is not base64`);
    return [format, der];
  }
  if (input instanceof Uint8Array) return [format, asBytes(input.slice())];
  if (typeof input === 'object' && input !== null && (input as JsonWebKey).kty === 'RSA') return ['jwk', { ...(input as JsonWebKey) }];
  throw new InvalidArgumentError(`${half}Key must be PEM text, DER bytes, an RSA JWK or a CryptoKey`);
}

async function importRsa(format: 'spki' | 'pkcs8' | 'jwk', data: Bytes | JsonWebKey, hash: string, half: 'public' | 'private', extractable: boolean): Promise<CryptoKey> {
  const algorithm = { name: 'RSA-OAEP', hash };
  const usages: ('encrypt' | 'decrypt')[] = [half === 'public' ? 'encrypt' : 'decrypt'];
  try {
    if (format === 'jwk') {
      // A JWK's own "alg" and "key_ops" would conflict with the padding chosen here.
      const { alg: _alg, key_ops: _ops, use: _use, ...jwk } = data as JsonWebKey;
      return await crypto.subtle.importKey('jwk', jwk, algorithm, extractable, usages);
    }
    return await crypto.subtle.importKey(format, data as Bytes, algorithm, extractable, usages);
  } catch (error) {
    throw new InvalidArgumentError(`${half}Key is not an RSA ${half} key this runtime's WebCrypto imports`, { cause: error });
  }
}

async function prepareKey(input: RsaKeyInput, padding: RsaPadding, half: 'public' | 'private'): Promise<PreparedKey> {
  if (padding !== 'PKCS1') {
    const hash = OAEP_HASHES[padding];
    if (isCryptoKey(input)) {
      // Typed locally: the DOM and Workers type libraries name RSA key algorithms differently.
      const algorithm = input.algorithm as { name: string; hash?: { name: string } };
      const usage = half === 'public' ? 'encrypt' : 'decrypt';
      if (algorithm.name !== 'RSA-OAEP' || algorithm.hash?.name !== hash || input.type !== half || !input.usages.includes(usage)) {
        throw new InvalidArgumentError(`${half}Key must be an RSA-OAEP ${hash} ${half} CryptoKey usable to ${usage}`);
      }
      return { kind: 'oaep', key: input };
    }
    const [format, data] = importable(input, half);
    return { kind: 'oaep', key: await importRsa(format, data, hash, half, false) };
  }
  // PKCS1: the key's numbers, read through WebCrypto (which parses and validates the encoding).
  let jwk: JsonWebKey;
  if (isCryptoKey(input)) {
    if (input.type !== half || !input.extractable) throw new InvalidArgumentError(`for PKCS1, ${half}Key must be an extractable ${half} CryptoKey`);
    jwk = (await crypto.subtle.exportKey('jwk', input)) as JsonWebKey;
  } else {
    const [format, data] = importable(input, half);
    jwk = (await crypto.subtle.exportKey('jwk', await importRsa(format, data, 'SHA-256', half, true))) as JsonWebKey;
  }
  return half === 'public' ? { kind: 'pkcs1-public', key: rsaPublicComponents(jwk) } : { kind: 'pkcs1-private', key: rsaPrivateComponents(jwk) };
}
