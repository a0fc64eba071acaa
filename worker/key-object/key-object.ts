import { DurableObject } from 'cloudflare:workers';
import type { Caller } from '../auth/caller';
import {
  KEY_SPECS,
  type EncryptionAlgorithm,
  type KeySpec,
  type KeyUsage,
  type MacAlgorithm,
  type SigningAlgorithm,
} from '../crypto/key-specs';
import { generateMac, verifyMac } from '../crypto/mac';
import { generateKeyMaterial } from '../crypto/material';
import { rsaDecrypt, rsaEncrypt } from '../crypto/rsa-encryption';
import { seal, unseal } from '../crypto/sealing';
import { signMessage, verifySignature, type MessageType } from '../crypto/signing';
import { importAesKey } from '../crypto/aes-gcm';
import { decryptBlob, encryptBlob, importDerivationKey, type VersionKeys } from '../crypto/symmetric';
import type { Bindings } from '../env';
import {
  AccessDeniedException,
  AlreadyExistsException,
  IncorrectKeyException,
  InvalidCiphertextException,
  InvalidKeyUsageException,
  KMSInvalidMacException,
  KMSInvalidSignatureException,
  NotFoundException,
  UnsupportedOperationException,
  ValidationException,
} from '../errors';
import { AuditChain, type AuditFilter, type AuditPosition, type ChainVerification } from '../audit/chain';
import type { AuditRecord } from '../audit/record';
import { auditEntry } from '../audit/entry';
import { capture, type Result } from '../result';
import { directory } from '../stubs';
import { blobKeyVersion, parseCiphertextBlob } from '../wire/ciphertext-blob';
import type { EncryptionContext } from '../wire/encryption-context';
import { decodeMarker, paginate, pageFields, pageFromLookahead } from '../wire/pagination';
import type { RequestFacts } from '../policy/request-keys';
import { parsePolicy } from '../policy/document';
import { authorize, checkLockout, decide } from './authorize';
import { keyMetadata, recordArn, type KeyMetadata, type KeyRecord, type Tag, type VersionRecord } from './key-record';
import { requireState, type StateRequirement } from './key-state';
import { GrantStore } from './grant-store';
import { UnsealedCache } from './unsealed-cache';
import { GRANTS_PER_KEY, ON_DEMAND_ROTATIONS_PER_KEY, requireWithinQuota } from './quotas';
import { applyTags, removeTags } from './tags';
import {
  checkGrantRequest,
  grantListEntry,
  isGrantee,
  isRetiringPrincipal,
  makeGrantToken,
  narrows,
  type Grant,
  type GrantConstraints,
  type GrantOperation,
} from './grants';
import { defaultKeyPolicy } from '../policy/default-policy';

const DAY = 86_400_000;
const RECORD = 'key';
const versionKey = (version: number) => `version:${String(version).padStart(10, '0')}`;

interface UnsealedVersion {
  version: number;
  secret: Uint8Array;
  publicKey?: Uint8Array;
  /** A symmetric version's root key as non-extractable CryptoKeys, each imported once while the version stays unsealed. */
  derivationKey?: Promise<CryptoKey>;
  /** Only for format-1 blobs, so only imported when one is decrypted. */
  directAesKey?: Promise<CryptoKey>;
}

interface AuditContext {
  caller: Caller;
  action: string;
  facts?: RequestFacts | undefined;
  keyVersion?: number | undefined;
}

export interface CreateGrantRequest {
  granteePrincipal: string;
  retiringPrincipal?: string;
  operations: GrantOperation[];
  constraints?: GrantConstraints;
  name?: string;
}

export interface CreateKeyRequest {
  keyId: string;
  region: string;
  keySpec: KeySpec;
  keyUsage: KeyUsage;
  description: string;
  tags: Tag[];
  policy?: string;
  bypassPolicyLockoutSafetyCheck?: boolean;
}

/** Whether the key lives in the account the caller's reference named (a bare id names the caller's own). */
function inNamedAccount(record: KeyRecord, caller: Caller): boolean {
  return record.account === (caller.keyAccount ?? caller.principal.account);
}

/** AWS KMS binds no encryption context to asymmetric ciphertexts; accepting one would mislead policies. */
function refuseContext(context: EncryptionContext | undefined): void {
  if (context && Object.keys(context).length > 0) {
    throw new ValidationException('An encryption context is not supported with asymmetric keys.');
  }
}

/**
 * One Durable Object per KMS key: the key's "hardware security module". Its
 * metadata, state, tags and every sealed version of its material live here,
 * and every operation with the root key runs here, after the caller is
 * authorized and the key state checked, so that check and use are atomic.
 */
export class KeyObject extends DurableObject<Bindings> {
  private record: KeyRecord | undefined;
  private readonly grants: GrantStore;
  private chain: AuditChain | undefined;
  private readonly unsealed = new UnsealedCache<UnsealedVersion>();

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.grants = new GrantStore(ctx.storage.sql);
    void ctx.blockConcurrencyWhile(async () => {
      this.record = await ctx.storage.get<KeyRecord>(RECORD);
      await this.grants.moveLegacyGrants(ctx.storage);
    });
  }

  // ---- lifecycle -------------------------------------------------------

  create(caller: Caller, request: CreateKeyRequest): Promise<Result<KeyMetadata>> {
    return this.mutate(async () => {
      if (this.record) throw new AlreadyExistsException(`Key ${request.keyId} already exists.`);
      const now = Date.now();
      const record: KeyRecord = {
        keyId: request.keyId,
        account: caller.principal.account,
        region: request.region,
        createdAt: now,
        description: request.description,
        keySpec: request.keySpec,
        keyUsage: request.keyUsage,
        state: 'Enabled',
        tags: applyTags([], request.tags),
        ...(request.policy !== undefined && { policy: request.policy }),
        currentVersion: 1,
        rotation: { enabled: false, periodDays: 365 },
      };
      if (request.policy !== undefined) {
        parsePolicy(request.policy);
        if (!request.bypassPolicyLockoutSafetyCheck) checkLockout(caller, record, request.policy);
      }
      await this.storeVersion(record, 1, undefined);
      await this.persist(record);
      return keyMetadata(record);
    }, { caller, action: 'kms:CreateKey' });
  }

  describe(caller: Caller): Promise<Result<KeyMetadata>> {
    return this.read(caller, 'kms:DescribeKey', 'exists', (record) => keyMetadata(record));
  }

  /**
   * Authorizes an action that names this key without using it (the alias
   * operations). Not audited here: the request's outcome is known only after
   * the Directory step, so the Worker records it.
   */
  admitAction(caller: Caller, action: string, requirement: StateRequirement): Promise<Result<KeyMetadata>> {
    return capture(() => keyMetadata(this.admit(caller, action, requirement)));
  }

  enable(caller: Caller): Promise<Result<void>> {
    return this.change(caller, 'kms:EnableKey', 'notPendingDeletion', (record) => {
      record.state = 'Enabled';
    });
  }

  disable(caller: Caller): Promise<Result<void>> {
    return this.change(caller, 'kms:DisableKey', 'notPendingDeletion', (record) => {
      record.state = 'Disabled';
    });
  }

  scheduleDeletion(caller: Caller, pendingWindowInDays: number) {
    return this.change(caller, 'kms:ScheduleKeyDeletion', 'notPendingDeletion', (record) => {
      record.state = 'PendingDeletion';
      record.deletionDate = Date.now() + pendingWindowInDays * DAY;
      record.pendingWindowInDays = pendingWindowInDays;
      return {
        KeyId: recordArn(record),
        DeletionDate: record.deletionDate / 1000,
        KeyState: record.state,
        PendingWindowInDays: pendingWindowInDays,
      };
    }, { 'kms:ScheduleKeyDeletionPendingWindowInDays': String(pendingWindowInDays) });
  }

  cancelDeletion(caller: Caller) {
    return this.change(caller, 'kms:CancelKeyDeletion', 'pendingDeletion', (record) => {
      // As in AWS KMS, a key rescued from deletion comes back disabled.
      record.state = 'Disabled';
      delete record.deletionDate;
      delete record.pendingWindowInDays;
      return { KeyId: recordArn(record) };
    });
  }

  updateDescription(caller: Caller, description: string) {
    return this.change(caller, 'kms:UpdateKeyDescription', 'notPendingDeletion', (record) => {
      record.description = description;
    });
  }

  tagResource(caller: Caller, tags: Tag[]) {
    return this.change(caller, 'kms:TagResource', 'notPendingDeletion', (record) => {
      record.tags = applyTags(record.tags, tags);
    });
  }

  untagResource(caller: Caller, tagKeys: string[]) {
    return this.change(caller, 'kms:UntagResource', 'notPendingDeletion', (record) => {
      record.tags = removeTags(record.tags, tagKeys);
    });
  }

  listTags(caller: Caller, limit: number | undefined, marker: string | undefined) {
    return this.read(caller, 'kms:ListResourceTags', 'exists', (record) => {
      const sorted = [...record.tags].sort((a, b) => (a.TagKey < b.TagKey ? -1 : 1));
      const page = paginate(sorted, (tag) => tag.TagKey, limit, marker);
      return { Tags: page.items, ...pageFields(page) };
    });
  }

  getPolicy(caller: Caller) {
    return this.read(caller, 'kms:GetKeyPolicy', 'exists', (record) => ({
      Policy: record.policy ?? defaultKeyPolicy(record.account),
      PolicyName: 'default',
    }));
  }

  putPolicy(caller: Caller, policy: string, bypassPolicyLockoutSafetyCheck: boolean) {
    return this.change(caller, 'kms:PutKeyPolicy', 'notPendingDeletion', (record) => {
      parsePolicy(policy);
      if (!bypassPolicyLockoutSafetyCheck) checkLockout(caller, record, policy);
      record.policy = policy;
    });
  }

  // ---- symmetric and RSA encryption -------------------------------------

  encrypt(caller: Caller, plaintext: Uint8Array, context: EncryptionContext | undefined, algorithm: EncryptionAlgorithm, action: 'kms:Encrypt' | 'kms:ReEncryptTo' = 'kms:Encrypt') {
    return this.read(caller, action, 'enabled', async (record) => {
      this.requireUsage(record, 'ENCRYPT_DECRYPT');
      return { CiphertextBlob: await this.encryptWith(record, plaintext, context, algorithm), KeyId: recordArn(record), EncryptionAlgorithm: algorithm };
    }, { encryptionContext: context, encryptionAlgorithm: algorithm });
  }

  decrypt(caller: Caller, ciphertext: Uint8Array, context: EncryptionContext | undefined, algorithm: EncryptionAlgorithm, action: 'kms:Decrypt' | 'kms:ReEncryptFrom' = 'kms:Decrypt') {
    // The audit trail names the version the ciphertext was made under.
    const version = blobKeyVersion(ciphertext);
    return this.read(caller, action, 'enabled', async (record) => {
      this.requireUsage(record, 'ENCRYPT_DECRYPT');
      const plaintext = await this.decryptWith(record, ciphertext, context, algorithm);
      return { Plaintext: plaintext, KeyId: recordArn(record), EncryptionAlgorithm: algorithm };
    }, { encryptionContext: context, encryptionAlgorithm: algorithm }, version);
  }

  generateDataKey(caller: Caller, numberOfBytes: number, context: EncryptionContext | undefined, action: 'kms:GenerateDataKey' | 'kms:GenerateDataKeyWithoutPlaintext') {
    return this.read(caller, action, 'enabled', async (record) => {
      this.requireUsage(record, 'ENCRYPT_DECRYPT');
      const plaintext = crypto.getRandomValues(new Uint8Array(numberOfBytes));
      const blob = await this.encryptWith(record, plaintext, context, 'SYMMETRIC_DEFAULT');
      if (action === 'kms:GenerateDataKey') return { CiphertextBlob: blob, Plaintext: plaintext, KeyId: recordArn(record) };
      // WithoutPlaintext: the data key never leaves the object.
      plaintext.fill(0);
      return { CiphertextBlob: blob, KeyId: recordArn(record) };
    }, { encryptionContext: context });
  }

  // ---- signatures and MACs ---------------------------------------------

  sign(caller: Caller, message: Uint8Array, messageType: MessageType, algorithm: SigningAlgorithm) {
    return this.read(caller, 'kms:Sign', 'enabled', async (record) => {
      this.requireUsage(record, 'SIGN_VERIFY');
      const material = await this.version(record, record.currentVersion);
      const signature = await signMessage(record.keySpec, material.secret, algorithm, messageType, message);
      return { KeyId: recordArn(record), Signature: signature, SigningAlgorithm: algorithm };
    }, { signingAlgorithm: algorithm, messageType });
  }

  verify(caller: Caller, message: Uint8Array, messageType: MessageType, signature: Uint8Array, algorithm: SigningAlgorithm) {
    return this.read(caller, 'kms:Verify', 'enabled', async (record) => {
      this.requireUsage(record, 'SIGN_VERIFY');
      if (!(await verifySignature(record.keySpec, await this.publicKey(record), algorithm, messageType, message, signature))) {
        throw new KMSInvalidSignatureException('The signature is not valid.');
      }
      return { KeyId: recordArn(record), SignatureValid: true, SigningAlgorithm: algorithm };
    }, { signingAlgorithm: algorithm, messageType });
  }

  getPublicKey(caller: Caller) {
    return this.read(caller, 'kms:GetPublicKey', 'enabled', async (record) => {
      if (KEY_SPECS[record.keySpec].family === 'aes' || KEY_SPECS[record.keySpec].family === 'hmac') {
        throw new UnsupportedOperationException(`A ${record.keySpec} key has no public key.`);
      }
      const version = await this.loadVersionRecord(record, record.currentVersion);
      const metadata = keyMetadata(record);
      return {
        KeyId: recordArn(record),
        PublicKey: version.publicKey!,
        CustomerMasterKeySpec: record.keySpec,
        KeySpec: record.keySpec,
        KeyUsage: record.keyUsage,
        EncryptionAlgorithms: metadata.EncryptionAlgorithms,
        SigningAlgorithms: metadata.SigningAlgorithms,
      };
    });
  }

  generateMac(caller: Caller, message: Uint8Array, algorithm: MacAlgorithm) {
    return this.read(caller, 'kms:GenerateMac', 'enabled', async (record) => {
      const material = await this.macMaterial(record, algorithm);
      return { KeyId: recordArn(record), Mac: await generateMac(material, algorithm, message), MacAlgorithm: algorithm };
    }, { macAlgorithm: algorithm });
  }

  verifyMac(caller: Caller, message: Uint8Array, mac: Uint8Array, algorithm: MacAlgorithm) {
    return this.read(caller, 'kms:VerifyMac', 'enabled', async (record) => {
      const material = await this.macMaterial(record, algorithm);
      if (!(await verifyMac(material, algorithm, message, mac))) {
        throw new KMSInvalidMacException('The MAC is not valid.');
      }
      return { KeyId: recordArn(record), MacValid: true, MacAlgorithm: algorithm };
    }, { macAlgorithm: algorithm });
  }

  // ---- grants --------------------------------------------------------------

  createGrant(caller: Caller, request: CreateGrantRequest) {
    const facts: RequestFacts = {
      'kms:GrantOperations': request.operations,
      'kms:GranteePrincipal': request.granteePrincipal,
      'kms:RetiringPrincipal': request.retiringPrincipal,
      'kms:GrantConstraintType': request.constraints?.EncryptionContextEquals
        ? 'EncryptionContextEquals'
        : request.constraints?.EncryptionContextSubset
          ? 'EncryptionContextSubset'
          : undefined,
    };
    return this.mutate(async () => {
      const record = this.existing(caller);
      const parent = authorize(caller, 'kms:CreateGrant', record, facts, this.grants.naming(caller.principal));
      requireState(record, 'enabled');
      checkGrantRequest(request.operations, request.constraints);
      if (parent && !narrows(parent, request.operations, request.constraints)) {
        throw new AccessDeniedException('A grant can only create grants for a subset of its own operations and constraints.');
      }
      const same = (request.name === undefined ? [] : this.grants.named(request.granteePrincipal, request.name)).find(
        (grant) =>
          JSON.stringify([grant.Operations, grant.Constraints ?? null, grant.RetiringPrincipal ?? null]) ===
          JSON.stringify([request.operations, request.constraints ?? null, request.retiringPrincipal ?? null]),
      );
      if (same) return { GrantId: same.GrantId, GrantToken: same.GrantToken };
      requireWithinQuota('Grants per key', GRANTS_PER_KEY, this.grants.count());
      const grantId = crypto.randomUUID().replaceAll('-', '');
      const grant: Grant = {
        GrantId: grantId,
        GrantToken: makeGrantToken(record.keyId, grantId),
        KeyId: recordArn(record),
        GranteePrincipal: request.granteePrincipal,
        IssuingAccount: `arn:aws:iam::${caller.principal.account}:root`,
        Operations: request.operations,
        CreationDate: Date.now(),
        ...(request.name !== undefined && { Name: request.name }),
        ...(request.retiringPrincipal !== undefined && { RetiringPrincipal: request.retiringPrincipal }),
        ...(request.constraints !== undefined && { Constraints: request.constraints }),
      };
      this.grants.put(grant);
      if (grant.RetiringPrincipal) await directory(this.env, record.account).indexGrant(grantListEntry(grant), grant.RetiringPrincipal);
      return { GrantId: grantId, GrantToken: grant.GrantToken };
    }, { caller, action: 'kms:CreateGrant', facts });
  }

  listGrants(caller: Caller, filter: { grantId?: string; granteePrincipal?: string }, limit: number | undefined, marker: string | undefined) {
    return this.read(caller, 'kms:ListGrants', 'exists', () => {
      const size = limit ?? 100;
      const page = pageFromLookahead(this.grants.list(filter, decodeMarker(marker), size + 1), size, (grant) => grant.GrantId);
      return { Grants: page.items.map(grantListEntry), ...pageFields(page) };
    });
  }

  /**
   * RetireGrant: the retiring principal, a grantee whose grant includes
   * RetireGrant, or anyone the key policy allows kms:RetireGrant.
   */
  retireGrant(caller: Caller, grantId: string, grantToken: string | undefined) {
    return this.mutate(async () => {
      const record = this.existing(caller);
      const grant = this.grants.get(grantId);
      if (!grant || (grantToken !== undefined && grant.GrantToken !== grantToken)) {
        throw new NotFoundException(`Grant ${grantId} does not exist on this key.`);
      }
      const entitled =
        isRetiringPrincipal(grant, caller) ||
        (isGrantee(grant, caller) && grant.Operations.includes('RetireGrant')) ||
        decide(caller, 'kms:RetireGrant', record) === 'Allow';
      if (!entitled) {
        throw new AccessDeniedException(`${caller.principal.arn} may not retire grant ${grantId}.`);
      }
      await this.dropGrant(record, grant);
    }, { caller, action: 'kms:RetireGrant' });
  }

  revokeGrant(caller: Caller, grantId: string) {
    return this.mutate(async () => {
      const record = this.admit(caller, 'kms:RevokeGrant', 'exists');
      const grant = this.grants.get(grantId);
      if (!grant) throw new NotFoundException(`Grant ${grantId} does not exist on this key.`);
      await this.dropGrant(record, grant);
    }, { caller, action: 'kms:RevokeGrant' });
  }

  private async dropGrant(record: KeyRecord, grant: Grant): Promise<void> {
    this.grants.delete(grant.GrantId);
    if (grant.RetiringPrincipal) await directory(this.env, record.account).unindexGrant(grant.GrantId);
  }

  /**
   * The key, if it exists and lives in the account the caller's reference
   * named: a key id or ARN never reaches another account's key.
   */
  private existing(caller: Caller, { evenDeleted = false } = {}): KeyRecord {
    const record = this.record;
    if (!record || (record.state === 'Deleted' && !evenDeleted) || !inNamedAccount(record, caller)) {
      throw new NotFoundException('Key not found.');
    }
    return record;
  }

  // ---- audit trail ---------------------------------------------------------

  listAudit(caller: Caller, filter: AuditFilter, after: AuditPosition | undefined, limit: number) {
    return this.read(caller, 'kms:ListAuditRecords', 'anyState', (record) => this.auditChain(record).query(filter, after, limit));
  }

  verifyAudit(caller: Caller) {
    return this.read(caller, 'kms:VerifyAuditChain', 'anyState', (record) => this.auditChain(record).verify());
  }

  /**
   * The account-wide trail reads every key's chain. The Worker has already
   * checked that the caller administers `account`, and records that request
   * once, in the account's chain, so these reads are not audited per key.
   */
  accountAuditQuery(account: string, filter: AuditFilter, after: AuditPosition | undefined, limit: number): AuditRecord[] {
    const record = this.record;
    return record && record.account === account ? this.auditChain(record).query(filter, after, limit) : [];
  }

  accountAuditVerify(account: string): ChainVerification | undefined {
    const record = this.record;
    return record && record.account === account ? this.auditChain(record).verify() : undefined;
  }

  // ---- rotation ----------------------------------------------------------

  enableRotation(caller: Caller, periodDays: number) {
    return this.change(caller, 'kms:EnableKeyRotation', 'enabled', (record) => {
      this.requireSymmetric(record);
      record.rotation = { ...record.rotation, enabled: true, periodDays, nextRotation: Date.now() + periodDays * DAY };
    }, { 'kms:RotationPeriodInDays': String(periodDays) });
  }

  disableRotation(caller: Caller) {
    return this.change(caller, 'kms:DisableKeyRotation', 'enabled', (record) => {
      this.requireSymmetric(record);
      record.rotation = { enabled: false, periodDays: record.rotation.periodDays };
    });
  }

  rotationStatus(caller: Caller) {
    return this.read(caller, 'kms:GetKeyRotationStatus', 'exists', (record) => {
      this.requireSymmetric(record);
      const { enabled, periodDays, nextRotation, onDemandStartedAt } = record.rotation;
      return {
        KeyId: recordArn(record),
        KeyRotationEnabled: enabled,
        ...(enabled && { RotationPeriodInDays: periodDays }),
        ...(enabled && nextRotation !== undefined && { NextRotationDate: nextRotation / 1000 }),
        ...(onDemandStartedAt !== undefined && { OnDemandRotationStartDate: onDemandStartedAt / 1000 }),
      };
    });
  }

  rotateOnDemand(caller: Caller) {
    return this.change(caller, 'kms:RotateKeyOnDemand', 'enabled', async (record) => {
      this.requireSymmetric(record);
      // Each on-demand rotation adds a version for good, so the quota counts them over the key's life.
      const onDemand = [...(await this.ctx.storage.list<VersionRecord>({ prefix: 'version:' })).values()].filter((v) => v.rotationType === 'ON_DEMAND');
      requireWithinQuota('On-demand rotations per key', ON_DEMAND_ROTATIONS_PER_KEY, onDemand.length);
      record.rotation.onDemandStartedAt = Date.now();
      await this.rotate(record, 'ON_DEMAND');
      return { KeyId: recordArn(record) };
    });
  }

  listRotations(caller: Caller, limit: number | undefined, marker: string | undefined) {
    return this.read(caller, 'kms:ListKeyRotations', 'exists', async (record) => {
      this.requireSymmetric(record);
      const versions = await this.ctx.storage.list<VersionRecord>({ prefix: 'version:' });
      const rotations = [...versions.entries()]
        .filter(([, v]) => v.rotationType !== undefined)
        .map(([key, v]) => ({ key, v }));
      const page = paginate(rotations, (r) => r.key, limit, marker);
      return {
        Rotations: page.items.map(({ v }) => ({
          KeyId: recordArn(record),
          KeyMaterialId: String(v.version),
          RotationDate: v.createdAt / 1000,
          RotationType: v.rotationType,
        })),
        ...pageFields(page),
      };
    });
  }

  /** Automatic rotation and the end of a deletion window. */
  override async alarm(): Promise<void> {
    const result = await this.mutate(async () => {
      if (!this.record || this.record.state === 'Deleted') return;
      // A copy: requests already in flight keep the record they started with.
      const record = structuredClone(this.record);
      const now = Date.now();
      if (record.state === 'PendingDeletion' && record.deletionDate! <= now) {
        await this.destroy(record);
        this.auditSystemEvent(record, 'edgekms:DeleteKeyMaterial');
        return;
      }
      if (record.state === 'Enabled' && record.rotation.enabled && record.rotation.nextRotation! <= now) {
        await this.rotate(record, 'AUTOMATIC');
        record.rotation.nextRotation = now + record.rotation.periodDays * DAY;
        this.auditSystemEvent(record, 'edgekms:RotateKey');
      }
      await this.persist(record);
    });
    // A failed alarm is retried by the runtime; rethrowing asks for that.
    if (result.error) throw new Error(`${result.error.name}: ${result.error.message}`);
  }

  // ---- internals ---------------------------------------------------------

  /** Runs a read-only operation; crypto operations may interleave freely. */
  private async read<T>(
    caller: Caller,
    action: string,
    requirement: StateRequirement,
    fn: (record: KeyRecord) => T | Promise<T>,
    facts?: RequestFacts,
    keyVersion?: number,
  ): Promise<Result<T>> {
    const result = await capture(() => fn(this.admit(caller, action, requirement, facts)));
    return this.recordAudit(result, { caller, action, facts, keyVersion });
  }

  /** Runs a state change alone, then persists the record and re-arms the alarm. */
  private change<T>(caller: Caller, action: string, requirement: StateRequirement, fn: (record: KeyRecord) => T | Promise<T>, facts?: RequestFacts): Promise<Result<T>> {
    return this.mutate(
      async () => {
        const record = structuredClone(this.admit(caller, action, requirement, facts));
        const value = await fn(record);
        await this.persist(record);
        return value;
      },
      { caller, action, facts },
    );
  }

  /**
   * Serializes state changes: no new request starts while a rotation holds
   * the version counter. The audit record is appended inside the same block,
   * so a saved change always has its record. The callback never throws,
   * which would reset the object.
   */
  private async mutate<T>(fn: () => Promise<T>, audit?: AuditContext): Promise<Result<T>> {
    let result: Result<T> | undefined;
    await this.ctx.blockConcurrencyWhile(async () => {
      result = await capture(fn);
      if (audit) this.recordAudit(result, audit);
    });
    return result!;
  }

  /**
   * Appends the request to this key's audit chain once its outcome is known,
   * allowed or not, before the result leaves the object. A key that does not
   * exist records nothing: the Worker records such requests in the account's chain.
   * Neither does a key of another account than the reference named: to that
   * caller it does not exist (`existing`), so the request belongs in the
   * caller's own account chain, and outsiders cannot write into this key's trail.
   */
  private recordAudit<T>(result: Result<T>, { caller, action, facts, keyVersion }: AuditContext): Result<T> {
    const record = this.record;
    if (!record || !inNamedAccount(record, caller)) return result;
    this.auditChain(record).append(
      auditEntry(caller, action, result.error, {
        keyId: record.keyId,
        keyVersion: keyVersion ?? record.currentVersion,
        ...(facts?.encryptionContext && { encryptionContext: facts.encryptionContext }),
      }),
    );
    result.audited = true;
    return result;
  }

  /** Things the key does on its own schedule are in its trail too. */
  private auditSystemEvent(record: KeyRecord, operation: string): void {
    const request = { requestId: `alarm-${crypto.randomUUID()}`, via: 'native' as const };
    this.auditChain(record).append({
      ...auditEntry({ request }, operation, undefined, { keyId: record.keyId, keyVersion: record.currentVersion }),
      principal: 'edgekms:system',
      account: record.account,
    });
  }

  private auditChain(record: KeyRecord): AuditChain {
    this.chain ??= new AuditChain(this.ctx.storage.sql, record.keyId);
    return this.chain;
  }

  private admit(caller: Caller, action: string, requirement: StateRequirement, facts?: RequestFacts): KeyRecord {
    const record = this.existing(caller, { evenDeleted: requirement === 'anyState' });
    authorize(caller, action, record, facts, this.grants.naming(caller.principal));
    requireState(record, requirement);
    return record;
  }

  private async persist(record: KeyRecord): Promise<void> {
    await this.ctx.storage.put(RECORD, record);
    this.record = record;
    const due = [
      record.state === 'PendingDeletion' ? record.deletionDate : undefined,
      record.state === 'Enabled' && record.rotation.enabled ? record.rotation.nextRotation : undefined,
    ].filter((time): time is number => time !== undefined);
    if (due.length > 0) await this.ctx.storage.setAlarm(Math.min(...due));
    else await this.ctx.storage.deleteAlarm();
  }

  private async storeVersion(record: KeyRecord, version: number, rotationType: VersionRecord['rotationType']): Promise<void> {
    const material = await generateKeyMaterial(record.keySpec, record.keyUsage);
    const entry: VersionRecord = {
      version,
      createdAt: Date.now(),
      sealed: await seal(this.env.MASTER_KEY, record.keyId, version, material.secret),
      ...(material.publicKey && { publicKey: material.publicKey }),
      ...(rotationType && { rotationType }),
    };
    await this.ctx.storage.put(versionKey(version), entry);
    material.secret.fill(0);
  }

  private async rotate(record: KeyRecord, rotationType: 'AUTOMATIC' | 'ON_DEMAND'): Promise<void> {
    const next = record.currentVersion + 1;
    await this.storeVersion(record, next, rotationType);
    record.currentVersion = next;
  }

  /**
   * Ends a deletion window. The directory forgets the key first: if anything
   * after that fails, the alarm is retried and every step repeats harmlessly.
   * What stays is a tombstone, so the key id is never reused.
   */
  private async destroy(record: KeyRecord): Promise<void> {
    await directory(this.env, record.account).forgetKey(record.keyId);
    const versions = [...(await this.ctx.storage.list({ prefix: 'version:' })).keys()];
    this.grants.deleteAll();
    // The storage API deletes at most 128 keys per call.
    for (let start = 0; start < versions.length; start += 128) {
      await this.ctx.storage.delete(versions.slice(start, start + 128));
    }
    for (const pending of this.unsealed.takeAll()) void pending.then((material) => material.secret.fill(0), () => {});
    await this.persist({ ...record, state: 'Deleted', deletedAt: Date.now(), tags: [], rotation: { enabled: false, periodDays: record.rotation.periodDays } });
  }

  private async loadVersionRecord(record: KeyRecord, version: number): Promise<VersionRecord> {
    const entry = await this.ctx.storage.get<VersionRecord>(versionKey(version));
    if (!entry) throw new InvalidCiphertextException(`Key ${record.keyId} has no version ${version}.`);
    return entry;
  }

  /** The unsealed material of a version, cached for a limited time (unsealed-cache.ts). */
  private version(record: KeyRecord, version: number): Promise<UnsealedVersion> {
    return this.unsealed.obtain(version, async () => {
      const entry = await this.loadVersionRecord(record, version);
      const secret = await unseal(this.env.MASTER_KEY, record.keyId, version, entry.sealed);
      return { version, secret, ...(entry.publicKey && { publicKey: entry.publicKey }) };
    });
  }

  private versionKeys(record: KeyRecord, version: number): VersionKeys {
    return {
      derivation: async () => {
        const material = await this.version(record, version);
        material.derivationKey ??= importDerivationKey(material.secret);
        return material.derivationKey;
      },
      direct: async () => {
        const material = await this.version(record, version);
        material.directAesKey ??= importAesKey(material.secret);
        return material.directAesKey;
      },
    };
  }

  private async encryptWith(record: KeyRecord, plaintext: Uint8Array, context: EncryptionContext | undefined, algorithm: EncryptionAlgorithm): Promise<Uint8Array> {
    const info = KEY_SPECS[record.keySpec];
    if (info.family === 'aes' && algorithm === 'SYMMETRIC_DEFAULT') {
      // Read once: the blob must name the version whose key sealed it.
      const version = record.currentVersion;
      return encryptBlob(await this.versionKeys(record, version).derivation(), record.keyId, version, plaintext, context);
    }
    if (info.family === 'rsa' && algorithm !== 'SYMMETRIC_DEFAULT') {
      refuseContext(context);
      return rsaEncrypt(await this.publicKey(record), info.modulusLength, algorithm, plaintext);
    }
    throw new InvalidKeyUsageException(`Encryption algorithm ${algorithm} is not valid for a ${record.keySpec} key.`);
  }

  private async decryptWith(record: KeyRecord, ciphertext: Uint8Array, context: EncryptionContext | undefined, algorithm: EncryptionAlgorithm): Promise<Uint8Array> {
    const info = KEY_SPECS[record.keySpec];
    if (info.family === 'aes' && algorithm === 'SYMMETRIC_DEFAULT') {
      const blob = parseCiphertextBlob(ciphertext);
      if (blob.keyId !== record.keyId) {
        throw new IncorrectKeyException('The ciphertext was encrypted under a different key.');
      }
      if (blob.version > record.currentVersion) {
        throw new InvalidCiphertextException('The ciphertext names a key version that does not exist.');
      }
      return decryptBlob(this.versionKeys(record, blob.version), blob, context);
    }
    if (info.family === 'rsa' && algorithm !== 'SYMMETRIC_DEFAULT') {
      refuseContext(context);
      const { secret } = await this.version(record, record.currentVersion);
      return rsaDecrypt(secret, algorithm, ciphertext);
    }
    throw new InvalidKeyUsageException(`Encryption algorithm ${algorithm} is not valid for a ${record.keySpec} key.`);
  }

  /** The SPKI of an asymmetric key, without unsealing its private half. */
  private async publicKey(record: KeyRecord): Promise<Uint8Array> {
    const { publicKey } = await this.loadVersionRecord(record, record.currentVersion);
    if (!publicKey) throw new UnsupportedOperationException(`A ${record.keySpec} key has no public key.`);
    return publicKey;
  }

  private async macMaterial(record: KeyRecord, algorithm: MacAlgorithm): Promise<Uint8Array> {
    const info = KEY_SPECS[record.keySpec];
    if (info.family !== 'hmac' || info.macAlgorithm !== algorithm) {
      throw new InvalidKeyUsageException(`MAC algorithm ${algorithm} is not valid for a ${record.keySpec} key.`);
    }
    return (await this.version(record, record.currentVersion)).secret;
  }

  private requireUsage(record: KeyRecord, usage: KeyUsage): void {
    if (record.keyUsage !== usage) {
      throw new InvalidKeyUsageException(`Key usage ${record.keyUsage} of this key does not allow this operation.`);
    }
  }

  private requireSymmetric(record: KeyRecord): void {
    if (record.keySpec !== 'SYMMETRIC_DEFAULT') {
      throw new UnsupportedOperationException(`This operation is not supported for a ${record.keySpec} key.`);
    }
  }
}
