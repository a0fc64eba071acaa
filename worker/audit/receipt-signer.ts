import { calculateJwkThumbprint, type JWK } from 'jose';
import { headStatement, type AuditHead } from '../../sdk/audit/signed-head';
import { KMSInternalException, NotFoundException } from '../errors';
import { rootKeys, type RootKeySet, type RootKeySettings } from '../crypto/root-keys';
import { seal, sealedUnder, unseal } from '../crypto/sealing';
import type { ArnScope } from '../wire/key-reference';

/**
 * The service signing key of one account in one region, which signs the heads of its keys'
 * audit chains (docs/receipts.md). It lives in the account's AuditLog object: made there once,
 * on first use, as an Ed25519 pair; the private half is stored only sealed under the root key
 * (crypto/sealing.ts, as key material is) and is used only as a non-extractable CryptoKey in
 * this object's memory, so it never leaves the object in the clear. The public half is
 * published by GetReceiptPublicKey.
 *
 * Stored as a list of versions so that a rotation can add one later: each signature names the
 * key id (its RFC 7638 JWK thumbprint) it was made with, and old public keys stay published.
 */
interface StoredSigningKey {
  version: number;
  signingKeyId: string;
  /** PKCS #8 of the private key, sealed. */
  sealed: Uint8Array;
  /** SPKI DER of the public key. */
  publicKey: Uint8Array;
  createdAt: number;
}

interface StoredSigningKeys {
  account: string;
  region: string;
  keys: StoredSigningKey[];
}

export interface ReceiptPublicKeyInfo {
  signingKeyId: string;
  /** SPKI DER. */
  publicKey: Uint8Array;
  jwk: JWK;
  account: string;
  region: string;
  createdAt: number;
}

interface LoadedKey {
  info: ReceiptPublicKeyInfo;
  privateKey: CryptoKey;
}

const STORAGE_KEY = 'receipt-signing-keys';

/** What the sealing binds the key to: no KMS key id has a slash, so this never names a KMS key's material. */
function sealingName(scope: ArnScope): string {
  return `receipt-signing/${scope.account}/${scope.region}`;
}

export class ReceiptSigner {
  private loaded: Promise<LoadedKey> | undefined;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly settings: RootKeySettings,
  ) {}

  async publicKey(scope: ArnScope, signingKeyId?: string): Promise<ReceiptPublicKeyInfo> {
    const { info } = await this.current(scope);
    if (signingKeyId !== undefined && signingKeyId !== info.signingKeyId) {
      throw new NotFoundException(`Receipt signing key ${signingKeyId} is not found.`);
    }
    return info;
  }

  /** Signs a head of one of this account's chains with the current key; the head names the key. */
  async sign(scope: ArnScope, head: Omit<AuditHead, 'signingKeyId' | 'account' | 'region'>): Promise<{ head: AuditHead; signature: Uint8Array }> {
    const { info, privateKey } = await this.current(scope);
    const signed: AuditHead = { ...head, signingKeyId: info.signingKeyId, account: scope.account, region: scope.region };
    const signature = new Uint8Array(await crypto.subtle.sign('Ed25519', privateKey, headStatement(signed)));
    return { head: signed, signature };
  }

  /** One load (or first generation) per object instance: two first requests must not make two keys. */
  private current(scope: ArnScope): Promise<LoadedKey> {
    this.loaded ??= this.load(scope).catch((error: unknown) => {
      this.loaded = undefined;
      throw error;
    });
    return this.loaded.then((key) => {
      // The object is addressed by account and region (stubs.ts); a caller naming another is a bug.
      if (key.info.account !== scope.account || key.info.region !== scope.region) throw new KMSInternalException('Receipt signer addressed for another scope.');
      return key;
    });
  }

  /**
   * Moves every stored version to the newest root if it is sealed under an older one, as key
   * material re-seals after a root rotation; makes no key where there is none. RetireRootKey
   * runs it before a root may go, and every first use runs it too.
   */
  async reseal(): Promise<void> {
    const stored = await this.storage.get<StoredSigningKeys>(STORAGE_KEY);
    if (stored && (await resealed(stored, rootKeys(this.settings)))) await this.storage.put(STORAGE_KEY, stored);
  }

  private async load(scope: ArnScope): Promise<LoadedKey> {
    const roots = rootKeys(this.settings);
    let stored = await this.storage.get<StoredSigningKeys>(STORAGE_KEY);
    if (!stored) {
      stored = { account: scope.account, region: scope.region, keys: [await generate(scope, roots)] };
      await this.storage.put(STORAGE_KEY, stored);
    } else if (await resealed(stored, roots)) {
      await this.storage.put(STORAGE_KEY, stored);
    }
    const scoped = { account: stored.account, region: stored.region };
    const newest = stored.keys.at(-1)!;
    const pkcs8 = await unseal(roots, sealingName(scoped), newest.version, newest.sealed);
    try {
      const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, 'Ed25519', false, ['sign']);
      return { info: await describe(scoped, newest), privateKey };
    } finally {
      pkcs8.fill(0);
    }
  }
}

/** Re-seals, in place, each version not sealed under the newest root; says whether any was. */
async function resealed(stored: StoredSigningKeys, roots: RootKeySet): Promise<boolean> {
  let changed = false;
  for (const key of stored.keys) {
    if (sealedUnder(key.sealed) === roots.newest) continue;
    const name = sealingName(stored);
    const pkcs8 = await unseal(roots, name, key.version, key.sealed);
    try {
      key.sealed = await seal(roots, name, key.version, pkcs8);
    } finally {
      pkcs8.fill(0);
    }
    changed = true;
  }
  return changed;
}

async function generate(scope: ArnScope, roots: RootKeySet): Promise<StoredSigningKey> {
  const pair = (await crypto.subtle.generateKey('Ed25519', true, ['sign', 'verify'])) as CryptoKeyPair;
  const pkcs8 = new Uint8Array((await crypto.subtle.exportKey('pkcs8', pair.privateKey)) as ArrayBuffer);
  const publicKey = new Uint8Array((await crypto.subtle.exportKey('spki', pair.publicKey)) as ArrayBuffer);
  const jwk = (await crypto.subtle.exportKey('jwk', pair.publicKey)) as JWK;
  try {
    const version = 1;
    return { version, signingKeyId: await calculateJwkThumbprint(jwk), sealed: await seal(roots, sealingName(scope), version, pkcs8), publicKey, createdAt: Date.now() };
  } finally {
    pkcs8.fill(0);
  }
}

async function describe(scope: ArnScope, key: StoredSigningKey): Promise<ReceiptPublicKeyInfo> {
  const imported = await crypto.subtle.importKey('spki', key.publicKey, 'Ed25519', true, ['verify']);
  const { kty, crv, x } = (await crypto.subtle.exportKey('jwk', imported)) as JWK;
  return {
    signingKeyId: key.signingKeyId,
    publicKey: key.publicKey,
    jwk: { kty, crv, x, kid: key.signingKeyId, alg: 'EdDSA', use: 'sig' },
    account: scope.account,
    region: scope.region,
    createdAt: key.createdAt,
  };
}
