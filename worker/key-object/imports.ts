import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { equalBytes } from '../auth/constant-time';
import { importedKeyMaterial, materialCheck } from '../crypto/imported-material';
import { unwrapKeyMaterial, type WrappingAlgorithm, type WrappingKeySpec } from '../crypto/import-wrapping';
import { rootKeys, type RootKeySettings } from '../crypto/root-keys';
import { seal, unseal } from '../crypto/sealing';
import { ExpiredImportTokenException, IncorrectKeyMaterialException, InvalidImportTokenException, UnsupportedOperationException } from '../errors';
import { concatBytes } from '../wire/bytes';
import type { ExpirationModel, KeyRecord } from './key-record';
import { loseMaterial, requireImportable } from './import-state';
import type { KeyVersions } from './versions';

/**
 * Imported key material in a key's Durable Object: the open import tokens,
 * each with the private half of its wrapping key sealed under the root key
 * (it never leaves the object, and is deleted when its token is redeemed or
 * ends), and the import itself. The material becomes version 1 of the key,
 * sealed like generated material (versions.ts).
 */

const TOKEN_PREFIX = 'import-token:';
/** AWS KMS: a public key and its import token are valid for 24 hours. */
export const IMPORT_TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000;
const TOKEN_FORMAT = 1;
const TOKEN_ID_BYTES = 16;
/** The one version an EXTERNAL key has: re-imports must bring the same material, so there is never a second. */
const IMPORTED_VERSION = 1;

interface StoredImportToken {
  wrappingKeySpec: WrappingKeySpec;
  wrappingAlgorithm: WrappingAlgorithm;
  validTo: number;
  /** The wrapping key's PKCS#8, sealed under the root key and bound to the key and the token. */
  sealedPrivateKey: Uint8Array;
}

export interface ImportRequest {
  importToken: Uint8Array;
  encryptedKeyMaterial: Uint8Array;
  expirationModel: ExpirationModel;
  validTo?: number | undefined;
  /** AWS's ImportType; absent, it is NEW_KEY_MATERIAL for a key that never had material and EXISTING_KEY_MATERIAL after. */
  importType?: 'NEW_KEY_MATERIAL' | 'EXISTING_KEY_MATERIAL' | undefined;
}

const tokenName = (tokenId: string) => `${TOKEN_PREFIX}${tokenId}`;
/** What the sealing binds a wrapping key to: its key and its token, never a version of the key's material. */
const sealingLabel = (keyId: string, tokenId: string) => `${keyId} import token ${tokenId}`;

/** The token is the format byte and a random id, opaque to the caller; everything it stands for stays in the object. */
function tokenIdOf(token: Uint8Array): string | undefined {
  if (token.length !== 1 + TOKEN_ID_BYTES || token[0] !== TOKEN_FORMAT) return undefined;
  return bytesToHex(token.subarray(1));
}

/**
 * A key has one material for good (AWS: a re-import restores the key,
 * different material is refused). New material for an on-demand rotation of
 * an imported symmetric key (ImportType NEW_KEY_MATERIAL on a key that has
 * material) is not offered.
 */
function requireExpectedMaterial(record: KeyRecord, check: string, importType: ImportRequest['importType']): void {
  const previous = record.imported?.check;
  const same = previous !== undefined && equalBytes(hexToBytes(check), hexToBytes(previous));
  if (previous === undefined) {
    if (importType === 'EXISTING_KEY_MATERIAL') throw new IncorrectKeyMaterialException(`No key material was imported into ${record.keyId} before: use ImportType NEW_KEY_MATERIAL.`);
    return;
  }
  if (importType === 'NEW_KEY_MATERIAL') {
    if (same) throw new IncorrectKeyMaterialException(`The key material is already associated with ${record.keyId}: use ImportType EXISTING_KEY_MATERIAL.`);
    throw new UnsupportedOperationException('Importing new key material into a key that already has key material (for RotateKeyOnDemand) is not supported.');
  }
  if (!same) throw new IncorrectKeyMaterialException('The key material does not match the key material previously imported into this key.');
}

export class KeyImports {
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly settings: RootKeySettings,
    private readonly versions: KeyVersions,
  ) {}

  /** Stores a new token for a wrapping key pair; returns the token. The caller notes `validTo` in the record (the alarm's due time). */
  async openToken(record: KeyRecord, spec: WrappingKeySpec, algorithm: WrappingAlgorithm, privateKey: Uint8Array, validTo: number): Promise<Uint8Array> {
    const id = crypto.getRandomValues(new Uint8Array(TOKEN_ID_BYTES));
    const tokenId = bytesToHex(id);
    try {
      const sealedPrivateKey = await seal(rootKeys(this.settings), sealingLabel(record.keyId, tokenId), 0, privateKey);
      const stored: StoredImportToken = { wrappingKeySpec: spec, wrappingAlgorithm: algorithm, validTo, sealedPrivateKey };
      await this.storage.put(tokenName(tokenId), stored);
    } finally {
      privateKey.fill(0);
    }
    return concatBytes([new Uint8Array([TOKEN_FORMAT]), id]);
  }

  /**
   * ImportKeyMaterial, on a copy of the record that the caller persists. The
   * token is used up before its wrapping key decrypts anything, whatever the
   * outcome: one token, one decryption, so the wrapping key answers no
   * chosen ciphertexts. The material must be the key's own if the key ever
   * had material (AWS: a re-import restores the key, other material is refused).
   */
  async importMaterial(record: KeyRecord, request: ImportRequest, now: number): Promise<void> {
    requireImportable(record);
    const token = await this.redeem(record, request.importToken, now);
    const label = sealingLabel(record.keyId, token.tokenId);
    const privateKey = await unseal(rootKeys(this.settings), label, 0, token.stored.sealedPrivateKey);
    let unwrapped: Uint8Array;
    try {
      unwrapped = await unwrapKeyMaterial(privateKey, token.stored.wrappingKeySpec, token.stored.wrappingAlgorithm, request.encryptedKeyMaterial);
    } finally {
      privateKey.fill(0);
    }
    const material = await importedKeyMaterial(record.keySpec, unwrapped);
    if (material.secret !== unwrapped) unwrapped.fill(0);
    try {
      const check = await materialCheck(record.keyId, material);
      requireExpectedMaterial(record, check, request.importType);
      await this.versions.store(record, IMPORTED_VERSION, material);
      record.imported = {
        expirationModel: request.expirationModel,
        ...(request.validTo !== undefined && { validTo: request.validTo }),
        present: true,
        check,
      };
      record.currentVersion = IMPORTED_VERSION;
      if (record.state === 'PendingImport') record.state = 'Enabled';
    } finally {
      material.secret.fill(0);
    }
  }

  /** DeleteImportedKeyMaterial and the expiry alarm: the sealed material goes, the key waits for a re-import. */
  async deleteMaterial(record: KeyRecord): Promise<void> {
    await this.versions.destroyAll();
    loseMaterial(record);
  }

  /**
   * Deletes the tokens that have ended (every token when `everything`, at the
   * end of a deletion window) and notes in the record when the next one ends.
   */
  async pruneTokens(record: KeyRecord, now: number, { everything = false } = {}): Promise<void> {
    const tokens = await this.storage.list<StoredImportToken>({ prefix: TOKEN_PREFIX });
    const ended = [...tokens].filter(([, token]) => everything || token.validTo <= now).map(([name]) => name);
    for (let start = 0; start < ended.length; start += 128) await this.storage.delete(ended.slice(start, start + 128));
    const open = [...tokens].filter(([name]) => !ended.includes(name)).map(([, token]) => token.validTo);
    if (open.length > 0) record.importTokensExpireAt = Math.min(...open);
    else delete record.importTokensExpireAt;
  }

  /** The stored token a caller's token names, deleted from storage: InvalidImportTokenException if there is none, ExpiredImportTokenException past its end. */
  private async redeem(record: KeyRecord, importToken: Uint8Array, now: number): Promise<{ tokenId: string; stored: StoredImportToken }> {
    const tokenId = tokenIdOf(importToken);
    // A token of another key is not in this key's storage: the same answer as a token never issued, or already used.
    const stored = tokenId === undefined ? undefined : await this.storage.get<StoredImportToken>(tokenName(tokenId));
    if (!tokenId || !stored) throw new InvalidImportTokenException(`The import token is not valid for ${record.keyId}.`);
    await this.storage.delete(tokenName(tokenId));
    await this.pruneTokens(record, now);
    if (stored.validTo <= now) throw new ExpiredImportTokenException('The import token has expired. Use GetParametersForImport to get a new import token and public key.');
    return { tokenId, stored };
  }
}
