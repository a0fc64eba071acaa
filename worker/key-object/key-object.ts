import { DurableObject } from 'cloudflare:workers';
import type { Caller } from '../auth/caller';
import type { DataKeyPairSpec } from '../crypto/data-key-pair';
import type { EncryptionAlgorithm, KeyAgreementAlgorithm, KeyUsage, MacAlgorithm, SigningAlgorithm } from '../crypto/key-specs';
import type { MessageType } from '../crypto/signing';
import type { Bindings } from '../env';
import { AlreadyExistsException, DryRunOperationException } from '../errors';
import type { AuditFilter, ChainPage, ChainProgress, ChainVerificationPage } from '../audit/chain';
import { capture, type Result } from '../result';
import type { Ciphertext } from '../wire/ciphertext-blob';
import type { EncryptionContext } from '../wire/encryption-context';
import type { Page } from '../wire/pagination';
import { defaultKeyPolicy } from '../policy/default-policy';
import type { RequestFacts } from '../policy/request-keys';
import { listKey } from './directory-index';
import { decrypt, encrypt, encryptDataKeyPair, generateDataKey } from './encryption';
import type { RecipientFacts } from '../operations/recipient';
import type { CreateGrantRequest } from './grant-actions';
import { GrantStore } from './grant-store';
import type { Grant } from './grants';
import { keyName, type KeyName, type KeyRecord, type Tag } from './key-record';
import type { StateRequirement } from './key-state';
import { sharedSecret } from './key-agreement';
import { requireSymmetric, requireUsage } from './key-usage';
import { LastUsage, type LastUsageReport } from './last-usage';
import * as lifecycle from './lifecycle';
import type { CreateKeyRequest } from './lifecycle';
import { checkMac, mac, publicKey, sign, verify } from './signing';
import { applyTags, removeTags, tagPage } from './tags';
import { KeyGrants } from './key-grants';
import { KeySchedule } from './schedule';
import { KeyTransactions } from './transaction';
import { KeyVersions, type Rotation } from './versions';
import { hasReplicas, MultiRegionMember, requireNotReplica, type MultiRegionConfig, type ReplicateRequest, type SharedProperties } from './multi-region';

type DecryptAction = 'kms:Decrypt' | 'kms:ReEncryptFrom';
type DataKeyAction = 'kms:GenerateDataKey' | 'kms:GenerateDataKeyWithoutPlaintext';

/**
 * One Durable Object per KMS key: the key's "hardware security module". Its
 * metadata, state, tags, grants, audit trail and every sealed version of its
 * material live here, and every operation with the root key runs here, after
 * the caller is authorized and the key state checked, so that check and use
 * are atomic (transaction.ts). Each method is that pattern around one step of
 * versions.ts, encryption.ts, signing.ts, key-grants.ts or schedule.ts, and returns
 * domain values; operations/ turns them into AWS KMS responses.
 */
export class KeyObject extends DurableObject<Bindings> {
  private readonly grants: GrantStore;
  private readonly tx: KeyTransactions;
  private readonly versions: KeyVersions;
  private readonly lastUsage: LastUsage;
  private readonly schedule: KeySchedule;
  private readonly keyGrants: KeyGrants;
  private readonly multiRegion: MultiRegionMember;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.grants = new GrantStore(ctx.storage.sql);
    this.tx = new KeyTransactions(ctx, this.grants);
    this.versions = new KeyVersions(ctx.storage, env);
    this.lastUsage = new LastUsage(ctx.storage);
    this.keyGrants = new KeyGrants(env, this.tx, this.grants);
    this.multiRegion = new MultiRegionMember({ env, tx: this.tx, versions: this.versions, lastUsage: this.lastUsage });
    this.schedule = new KeySchedule({ env, tx: this.tx, versions: this.versions, grants: this.grants, lastUsage: this.lastUsage, multiRegion: this.multiRegion });
    void ctx.blockConcurrencyWhile(async () => {
      await this.tx.load();
      await this.lastUsage.load();
      await this.grants.moveLegacyGrants(ctx.storage);
      // After a root rotation every key starts its re-seal the first time its object starts.
      await this.schedule.checkReseal();
    });
  }

  create(caller: Caller, request: CreateKeyRequest): Promise<Result<KeyRecord>> {
    return this.tx.mutate(async () => {
      if (this.tx.record) throw new AlreadyExistsException(`Key ${request.keyId} already exists.`);
      const record = lifecycle.newRecord(caller, request);
      await this.versions.create(record, 1, undefined);
      await this.tx.persist(record);
      await this.lastUsage.start(record.createdAt);
      await listKey(this.env, record);
      return record;
    }, { caller, action: 'kms:CreateKey' });
  }

  describe(caller: Caller): Promise<Result<KeyRecord>> {
    return this.tx.read({ caller, action: 'kms:DescribeKey' }, 'exists', (record) => record);
  }

  /**
   * Authorizes an action that names this key without using it (the alias
   * operations). Not audited here: the request's outcome is known only after
   * the Directory step, so the Worker records it.
   */
  admitAction(caller: Caller, action: string, requirement: StateRequirement): Promise<Result<KeyRecord>> {
    return capture(() => this.tx.admit(caller, action, requirement));
  }

  /**
   * DryRun: the request is authorized as the operation would authorize it
   * (key state, policy, grants, the request's facts, the key's usage) and,
   * where it would have gone ahead, refused with DryRunOperationException.
   * Recorded in the key's chain like the request itself.
   */
  dryRun(caller: Caller, action: string, requirement: StateRequirement, facts: RequestFacts | undefined, usage: KeyUsage | undefined): Promise<Result<never>> {
    return this.tx.read({ caller, action, facts }, requirement, (record) => {
      if (usage !== undefined) requireUsage(record, usage);
      throw new DryRunOperationException('The request would have succeeded, but the DryRun option is set.');
    });
  }

  enable(caller: Caller): Promise<Result<void>> {
    return this.tx.change({ caller, action: 'kms:EnableKey' }, 'notPendingDeletion', (record) => void (record.state = 'Enabled'));
  }

  disable(caller: Caller): Promise<Result<void>> {
    return this.tx.change({ caller, action: 'kms:DisableKey' }, 'notPendingDeletion', (record) => void (record.state = 'Disabled'));
  }

  scheduleDeletion(caller: Caller, pendingWindowInDays: number): Promise<Result<KeyRecord>> {
    const facts = { 'kms:ScheduleKeyDeletionPendingWindowInDays': String(pendingWindowInDays) };
    return this.tx.change({ caller, action: 'kms:ScheduleKeyDeletion', facts }, 'notPendingDeletion', (record) => {
      lifecycle.scheduleDeletion(record, pendingWindowInDays);
      // A primary is not deleted while it has replicas: its waiting period starts when the last is deleted (multi-region.ts).
      if (hasReplicas(record)) {
        record.state = 'PendingReplicaDeletion';
        delete record.deletionDate;
      }
      return record;
    });
  }

  cancelDeletion(caller: Caller): Promise<Result<KeyName>> {
    return this.tx.change({ caller, action: 'kms:CancelKeyDeletion' }, 'pendingDeletion', (record) => {
      lifecycle.cancelDeletion(record);
      return keyName(record);
    });
  }

  updateDescription(caller: Caller, description: string): Promise<Result<void>> {
    return this.tx.change({ caller, action: 'kms:UpdateKeyDescription' }, 'notPendingDeletion', (record) => void (record.description = description));
  }

  tagResource(caller: Caller, tags: Tag[]): Promise<Result<void>> {
    return this.tx.change({ caller, action: 'kms:TagResource' }, 'notPendingDeletion', (record) => void (record.tags = applyTags(record.tags, tags)));
  }

  untagResource(caller: Caller, tagKeys: string[]): Promise<Result<void>> {
    return this.tx.change({ caller, action: 'kms:UntagResource' }, 'notPendingDeletion', (record) => void (record.tags = removeTags(record.tags, tagKeys)));
  }

  listTags(caller: Caller, limit: number | undefined, marker: string | undefined): Promise<Result<Page<Tag>>> {
    return this.tx.read({ caller, action: 'kms:ListResourceTags' }, 'exists', (record) => tagPage(record.tags, limit, marker));
  }

  /** The policy document's text (the default policy if none was set). */
  getPolicy(caller: Caller): Promise<Result<string>> {
    return this.tx.read({ caller, action: 'kms:GetKeyPolicy' }, 'exists', (record) => record.policy ?? defaultKeyPolicy(record.account));
  }

  putPolicy(caller: Caller, policy: string, bypassPolicyLockoutSafetyCheck: boolean): Promise<Result<void>> {
    return this.tx.change({ caller, action: 'kms:PutKeyPolicy' }, 'notPendingDeletion', (record) => lifecycle.setPolicy(caller, record, policy, bypassPolicyLockoutSafetyCheck));
  }

  encrypt(caller: Caller, plaintext: Uint8Array, context: EncryptionContext | undefined, algorithm: EncryptionAlgorithm, action: 'kms:Encrypt' | 'kms:ReEncryptTo' = 'kms:Encrypt') {
    const facts = { encryptionContext: context, encryptionAlgorithm: algorithm };
    return this.lastUsage.track(action === 'kms:Encrypt' ? 'Encrypt' : 'ReEncrypt', caller, this.tx.read({ caller, action, facts }, 'enabled', async (record) => ({
      key: keyName(record),
      ciphertext: await encrypt(this.versions, record, plaintext, context, algorithm),
    })));
  }

  /** The ciphertext comes read by the operation layer; the audit trail names the version a blob was made under. */
  decrypt(caller: Caller, ciphertext: Ciphertext, context: EncryptionContext | undefined, algorithm: EncryptionAlgorithm, action: DecryptAction = 'kms:Decrypt', recipient?: RecipientFacts) {
    const facts = { encryptionContext: context, encryptionAlgorithm: algorithm, ...recipient };
    const keyVersion = ciphertext.kind === 'blob' ? ciphertext.blob.version : ciphertext.claimedVersion;
    return this.lastUsage.track(action === 'kms:Decrypt' ? 'Decrypt' : 'ReEncrypt', caller, this.tx.read({ caller, action, facts, keyVersion }, 'enabled', async (record) => ({
      key: keyName(record),
      plaintext: await decrypt(this.versions, record, ciphertext, context, algorithm),
    })));
  }

  generateDataKey(caller: Caller, numberOfBytes: number, context: EncryptionContext | undefined, action: DataKeyAction, recipient?: RecipientFacts) {
    const withPlaintext = action === 'kms:GenerateDataKey';
    return this.lastUsage.track(withPlaintext ? 'GenerateDataKey' : 'GenerateDataKeyWithoutPlaintext', caller, this.tx.read({ caller, action, facts: { encryptionContext: context, ...recipient } }, 'enabled', async (record) => ({
      key: keyName(record),
      ...(await generateDataKey(this.versions, record, numberOfBytes, context, withPlaintext)),
    })));
  }

  /** The pair comes made by the Worker: generating an RSA pair takes long, and here it would hold up every request to the key. */
  encryptDataKeyPair(caller: Caller, spec: DataKeyPairSpec, privateKey: Uint8Array, context: EncryptionContext | undefined, action: 'kms:GenerateDataKeyPair' | 'kms:GenerateDataKeyPairWithoutPlaintext') {
    const facts = { encryptionContext: context, 'kms:DataKeyPairSpec': spec };
    return this.lastUsage.track(action === 'kms:GenerateDataKeyPair' ? 'GenerateDataKeyPair' : 'GenerateDataKeyPairWithoutPlaintext', caller, this.tx.read({ caller, action, facts }, 'enabled', async (record) => ({
      key: keyName(record),
      ...(await encryptDataKeyPair(this.versions, record, privateKey, context)),
    })));
  }

  deriveSharedSecret(caller: Caller, algorithm: KeyAgreementAlgorithm, peerPublicKey: Uint8Array) {
    const facts = { 'kms:KeyAgreementAlgorithm': algorithm };
    return this.lastUsage.track('DeriveSharedSecret', caller, this.tx.read({ caller, action: 'kms:DeriveSharedSecret', facts }, 'enabled', async (record) => ({
      key: keyName(record),
      sharedSecret: await sharedSecret(this.versions, record, peerPublicKey),
    })));
  }

  sign(caller: Caller, message: Uint8Array, messageType: MessageType, algorithm: SigningAlgorithm) {
    return this.lastUsage.track('Sign', caller, this.tx.read({ caller, action: 'kms:Sign', facts: { signingAlgorithm: algorithm, messageType } }, 'enabled', async (record) => ({
      key: keyName(record),
      signature: await sign(this.versions, record, message, messageType, algorithm),
    })));
  }

  /** Answers only for a valid signature (KMSInvalidSignatureException otherwise). */
  verify(caller: Caller, message: Uint8Array, messageType: MessageType, signature: Uint8Array, algorithm: SigningAlgorithm): Promise<Result<KeyName>> {
    return this.lastUsage.track('Verify', caller, this.tx.read({ caller, action: 'kms:Verify', facts: { signingAlgorithm: algorithm, messageType } }, 'enabled', async (record) => {
      await verify(this.versions, record, message, messageType, signature, algorithm);
      return keyName(record);
    }));
  }

  getPublicKey(caller: Caller): Promise<Result<{ record: KeyRecord; publicKey: Uint8Array }>> {
    return this.tx.read({ caller, action: 'kms:GetPublicKey' }, 'enabled', async (record) => ({ record, publicKey: await publicKey(this.versions, record) }));
  }

  generateMac(caller: Caller, message: Uint8Array, algorithm: MacAlgorithm) {
    return this.lastUsage.track('GenerateMac', caller, this.tx.read({ caller, action: 'kms:GenerateMac', facts: { macAlgorithm: algorithm } }, 'enabled', async (record) => ({
      key: keyName(record),
      mac: await mac(this.versions, record, message, algorithm),
    })));
  }

  /** Answers only for a valid MAC (KMSInvalidMacException otherwise). */
  verifyMac(caller: Caller, message: Uint8Array, tag: Uint8Array, algorithm: MacAlgorithm): Promise<Result<KeyName>> {
    return this.lastUsage.track('VerifyMac', caller, this.tx.read({ caller, action: 'kms:VerifyMac', facts: { macAlgorithm: algorithm } }, 'enabled', async (record) => {
      await checkMac(this.versions, record, message, tag, algorithm);
      return keyName(record);
    }));
  }

  getLastUsage(caller: Caller): Promise<Result<{ record: KeyRecord; usage: LastUsageReport }>> {
    return this.tx.read({ caller, action: 'kms:GetKeyLastUsage' }, 'exists', (record) => ({ record, usage: this.lastUsage.current() }));
  }

  createGrant(caller: Caller, request: CreateGrantRequest): Promise<Result<{ grantId: string; grantToken: string }>> {
    return this.keyGrants.create(caller, request);
  }

  listGrants(caller: Caller, filter: { grantId?: string; granteePrincipal?: string }, limit: number | undefined, marker: string | undefined): Promise<Result<Page<Grant>>> {
    return this.keyGrants.list(caller, filter, limit, marker);
  }

  retireGrant(caller: Caller, grantId: string, grantToken: string | undefined, dryRun = false): Promise<Result<void>> {
    return this.keyGrants.retire(caller, grantId, grantToken, dryRun);
  }

  revokeGrant(caller: Caller, grantId: string): Promise<Result<void>> {
    return this.keyGrants.revoke(caller, grantId);
  }

  listAudit(caller: Caller, filter: AuditFilter, afterSequence: number, limit: number, scanBudget: number): Promise<Result<ChainPage>> {
    return this.tx.read({ caller, action: 'kms:ListAuditRecords' }, 'anyState', (record) => this.tx.trail(record).page(filter, afterSequence, limit, scanBudget));
  }

  verifyAudit(caller: Caller, from: ChainProgress | undefined, budget: number): Promise<Result<ChainVerificationPage>> {
    return this.tx.read({ caller, action: 'kms:VerifyAuditChain' }, 'anyState', (record) => this.tx.trail(record).verifyPage(from, budget));
  }

  /** Not audited per key: the Worker checked the caller and records the request in the account's chain. */
  accountAuditPage(account: string, filter: AuditFilter, afterSequence: number, limit: number, scanBudget: number): ChainPage | undefined {
    return this.tx.accountTrail(account)?.page(filter, afterSequence, limit, scanBudget);
  }

  accountAuditVerify(account: string, from: ChainProgress | undefined, budget: number): ChainVerificationPage | undefined {
    return this.tx.accountTrail(account)?.verifyPage(from, budget);
  }

  enableRotation(caller: Caller, periodDays: number): Promise<Result<void>> {
    const facts = { 'kms:RotationPeriodInDays': String(periodDays) };
    return this.sharing(this.tx.change({ caller, action: 'kms:EnableKeyRotation', facts }, 'enabled', (record) => {
      requireNotReplica(record, 'EnableKeyRotation');
      lifecycle.enableRotation(record, periodDays);
    }));
  }

  disableRotation(caller: Caller): Promise<Result<void>> {
    return this.sharing(this.tx.change({ caller, action: 'kms:DisableKeyRotation' }, 'enabled', (record) => {
      requireNotReplica(record, 'DisableKeyRotation');
      lifecycle.disableRotation(record);
    }));
  }

  rotationStatus(caller: Caller): Promise<Result<KeyRecord>> {
    // Asymmetric and HMAC keys never rotate: AWS KMS answers KeyRotationEnabled false for them, not an error.
    return this.tx.read({ caller, action: 'kms:GetKeyRotationStatus' }, 'exists', (record) => record);
  }

  rotateOnDemand(caller: Caller): Promise<Result<KeyName>> {
    return this.sharing(this.tx.change({ caller, action: 'kms:RotateKeyOnDemand' }, 'enabled', async (record) => {
      requireNotReplica(record, 'RotateKeyOnDemand');
      await this.versions.rotateOnDemand(requireSymmetric(record));
      return keyName(record);
    }));
  }

  /** After a successful change of what multi-Region keys share, the primary's replicas hear of it. */
  private async sharing<T>(change: Promise<Result<T>>): Promise<Result<T>> {
    const result = await change;
    if (!result.error) await this.multiRegion.share();
    return result;
  }

  /** ReplicateKey (multi-region.ts): the new replica's record, as created, and the other replicas told of it. */
  async replicate(caller: Caller, request: ReplicateRequest): Promise<Result<KeyRecord>> {
    const result = await this.multiRegion.replicate(caller, request);
    if (result.error) return { ...result, value: undefined };
    const { replica, shared } = result.value!;
    await this.multiRegion.push(this.tx.record!, shared, [request.replicaRegion]);
    return { ...result, value: replica };
  }

  /** Only from the primary's object (multi-region.ts). */
  createReplica(caller: Caller, seed: KeyRecord, request: ReplicateRequest): Promise<Result<KeyRecord>> {
    return this.multiRegion.createReplica(caller, seed, request);
  }

  /** Only from a peer's object (multi-region.ts). */
  receiveShared(shared: SharedProperties): Promise<Result<void>> {
    return this.multiRegion.receiveShared(shared);
  }

  async updatePrimaryRegion(caller: Caller, primaryRegion: string): Promise<Result<void>> {
    const result = await this.multiRegion.updatePrimaryRegion(caller, primaryRegion);
    if (result.error) return { ...result, value: undefined };
    await this.multiRegion.push(this.tx.record!, result.value!);
    return { ...result, value: undefined };
  }

  /** Only from the primary's object (multi-region.ts). */
  promote(caller: Caller, next: MultiRegionConfig): Promise<Result<void>> {
    return this.multiRegion.promote(caller, next);
  }

  /** Only from a replica's object at the end of its deletion window (multi-region.ts). */
  forgetReplica(region: string): Promise<Result<SharedProperties | undefined>> {
    return this.multiRegion.forgetReplica(region);
  }

  listRotations(caller: Caller, limit: number | undefined, marker: string | undefined): Promise<Result<{ key: KeyName; page: Page<Rotation> }>> {
    return this.tx.read({ caller, action: 'kms:ListKeyRotations' }, 'exists', async (record) => ({
      key: keyName(requireSymmetric(record)),
      page: await this.versions.rotations(limit, marker),
    }));
  }

  /**
   * Root key rotation: how many versions of this key each root seals, and the
   * roots the key retired. Not audited per key: the Worker checked the caller
   * (an account administrator) and records the request in the account's chain.
   */
  rootKeyStatus(): Promise<Result<{ sealed: Record<string, number>; retired: number[] }>> {
    return capture(async () => ({ sealed: Object.fromEntries(await this.versions.census()), retired: await this.versions.retiredRoots() }));
  }

  /** Refused while any version of this key is sealed under the root (versions.ts); alone, so no re-seal step runs meanwhile. */
  retireRootKey(root: number): Promise<Result<void>> {
    return this.tx.mutate(() => this.versions.retire(root));
  }

  /** Automatic rotation, the end of a deletion window, and the re-seal after a root rotation: all on the one alarm (schedule.ts). */
  override alarm(): Promise<void> {
    return this.schedule.alarm();
  }
}
