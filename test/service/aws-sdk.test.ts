import {
  AlreadyExistsException,
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisabledException,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GenerateMacCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  GetPublicKeyCommand,
  IncorrectKeyException,
  InvalidCiphertextException,
  KMSInvalidSignatureException,
  KMSInvalidStateException,
  KMSServiceException,
  ListAliasesCommand,
  ListGrantsCommand,
  ListKeyRotationsCommand,
  ListKeysCommand,
  NotFoundException,
  PutKeyPolicyCommand,
  ReEncryptCommand,
  RevokeGrantCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  UpdateAliasCommand,
  VerifyCommand,
  VerifyMacCommand,
} from '@aws-sdk/client-kms';
import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { kmsClient } from './kms-client';

/** The official AWS SDK for JavaScript v3, configured only with endpoint, region and static credentials. */
const keys = inject('accessKeys');
const kms = kmsClient(keys.admin);
const text = (value: string) => new TextEncoder().encode(value);
const ACCOUNT = '111122223333';

async function newKey(input: ConstructorParameters<typeof CreateKeyCommand>[0] = {}) {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand(input));
  return KeyMetadata!;
}

describe('@aws-sdk/client-kms against EdgeKMS', () => {
  let keyId: string;
  beforeAll(async () => {
    keyId = (await newKey({ Description: 'aws-sdk suite' })).KeyId!;
  });

  it('creates and describes keys with ARNs the SDK accepts', async () => {
    const metadata = await newKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', Tags: [{ TagKey: 'suite', TagValue: 'aws' }] });
    expect(metadata.Arn).toBe(`arn:aws:kms:us-east-1:${ACCOUNT}:key/${metadata.KeyId}`);
    expect(metadata.CreationDate).toBeInstanceOf(Date);
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: metadata.Arn }));
    expect(KeyMetadata).toMatchObject({ KeySpec: 'ECC_NIST_P256', KeyState: 'Enabled', SigningAlgorithms: ['ECDSA_SHA_256'] });
  });

  it('encrypts and decrypts with an encryption context; the wrong context is InvalidCiphertextException', async () => {
    const context = { tenant: 'acme' };
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: text('hello aws'), EncryptionContext: context }));
    const { Plaintext, KeyId } = await kms.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context }));
    expect(new TextDecoder().decode(Plaintext)).toBe('hello aws');
    expect(KeyId).toContain(keyId);
    await expect(kms.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { tenant: 'other' } }))).rejects.toBeInstanceOf(InvalidCiphertextException);
    const other = (await newKey()).KeyId!;
    await expect(kms.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context, KeyId: other }))).rejects.toBeInstanceOf(IncorrectKeyException);
  });

  it('generates data keys with and without plaintext, and re-encrypts', async () => {
    const dataKey = await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' }));
    expect(dataKey.Plaintext).toHaveLength(32);
    const withoutPlaintext = await kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: keyId, NumberOfBytes: 16 }));
    expect(withoutPlaintext).not.toHaveProperty('Plaintext');
    const destination = (await newKey()).KeyId!;
    const moved = await kms.send(new ReEncryptCommand({ CiphertextBlob: dataKey.CiphertextBlob, DestinationKeyId: destination, DestinationEncryptionContext: { stage: '2' } }));
    const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: moved.CiphertextBlob, EncryptionContext: { stage: '2' } }));
    expect(decrypted.Plaintext).toEqual(dataKey.Plaintext);
  });

  it('manages aliases and pages through ListKeys and ListAliases', async () => {
    const alias = `alias/aws-sdk-${Date.now()}`;
    await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
    await expect(kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }))).rejects.toBeInstanceOf(AlreadyExistsException);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata!.KeyId).toBe(keyId);
    const second = (await newKey()).KeyId!;
    await kms.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: second }));
    expect((await kms.send(new ListAliasesCommand({ KeyId: second }))).Aliases!.map((a) => a.AliasName)).toContain(alias);
    await kms.send(new DeleteAliasCommand({ AliasName: alias }));
    await expect(kms.send(new DescribeKeyCommand({ KeyId: alias }))).rejects.toBeInstanceOf(NotFoundException);

    await Promise.all([newKey(), newKey(), newKey()]);
    const seen: string[] = [];
    let Marker: string | undefined;
    do {
      const page = await kms.send(new ListKeysCommand({ Limit: 2, Marker }));
      expect(page.Keys!.length).toBeLessThanOrEqual(2);
      seen.push(...page.Keys!.map((k) => k.KeyId!));
      Marker = page.NextMarker;
    } while (Marker);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toContain(keyId);
  });

  it('signs and verifies; GetPublicKey gives a DER key that verifies independently', async () => {
    const signing = (await newKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })).KeyId!;
    const message = text('signed by EdgeKMS');
    const { Signature } = await kms.send(new SignCommand({ KeyId: signing, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' }));
    const { SignatureValid } = await kms.send(new VerifyCommand({ KeyId: signing, Message: message, Signature, SigningAlgorithm: 'ECDSA_SHA_256' }));
    expect(SignatureValid).toBe(true);
    const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: signing }));
    const publicKey = createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' });
    expect(verifySignature('sha256', message, publicKey, Buffer.from(Signature!))).toBe(true);
    const forged = Uint8Array.from(Signature!);
    forged[forged.length - 1]! ^= 1;
    await expect(kms.send(new VerifyCommand({ KeyId: signing, Message: message, Signature: forged, SigningAlgorithm: 'ECDSA_SHA_256' }))).rejects.toBeInstanceOf(KMSInvalidSignatureException);
  });

  it('generates and verifies MACs', async () => {
    const mac = (await newKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' })).KeyId!;
    const { Mac } = await kms.send(new GenerateMacCommand({ KeyId: mac, Message: text('m'), MacAlgorithm: 'HMAC_SHA_256' }));
    expect((await kms.send(new VerifyMacCommand({ KeyId: mac, Message: text('m'), Mac, MacAlgorithm: 'HMAC_SHA_256' }))).MacValid).toBe(true);
  });

  it('rotates and lists rotations; old ciphertexts still decrypt', async () => {
    const rotating = (await newKey()).KeyId!;
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: rotating, Plaintext: text('before') }));
    await kms.send(new EnableKeyRotationCommand({ KeyId: rotating, RotationPeriodInDays: 90 }));
    const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: rotating }));
    expect(status.KeyRotationEnabled).toBe(true);
    expect(status.NextRotationDate).toBeInstanceOf(Date);
    await kms.send(new RotateKeyOnDemandCommand({ KeyId: rotating }));
    expect((await kms.send(new ListKeyRotationsCommand({ KeyId: rotating }))).Rotations).toHaveLength(1);
    expect(new TextDecoder().decode((await kms.send(new DecryptCommand({ CiphertextBlob }))).Plaintext)).toBe('before');
  });

  it('disabled and deletion states arrive as the SDK’s typed exceptions', async () => {
    const doomed = (await newKey()).KeyId!;
    await kms.send(new DisableKeyCommand({ KeyId: doomed }));
    await expect(kms.send(new EncryptCommand({ KeyId: doomed, Plaintext: text('x') }))).rejects.toBeInstanceOf(DisabledException);
    await kms.send(new EnableKeyCommand({ KeyId: doomed }));
    const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: doomed, PendingWindowInDays: 7 }));
    expect(scheduled.DeletionDate).toBeInstanceOf(Date);
    await expect(kms.send(new EncryptCommand({ KeyId: doomed, Plaintext: text('x') }))).rejects.toBeInstanceOf(KMSInvalidStateException);
    await kms.send(new CancelKeyDeletionCommand({ KeyId: doomed }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId: doomed }))).KeyMetadata!.KeyState).toBe('Disabled');
    await expect(kms.send(new DescribeKeyCommand({ KeyId: '00000000-0000-4000-8000-000000000000' }))).rejects.toBeInstanceOf(NotFoundException);
  });

  it('applies key policies and grants to SigV4 identities', async () => {
    const app = kmsClient(keys.app);
    const guarded = (await newKey()).KeyId!;
    const { Plaintext: _p, CiphertextBlob } = await kms.send(new GenerateDataKeyCommand({ KeyId: guarded, KeySpec: 'AES_256' }));
    const denied = await app.send(new DecryptCommand({ CiphertextBlob })).catch((error: unknown) => error);
    expect(denied).toBeInstanceOf(KMSServiceException);
    expect((denied as KMSServiceException).name).toBe('AccessDeniedException');

    const { GrantId } = await kms.send(new CreateGrantCommand({ KeyId: guarded, GranteePrincipal: `arn:aws:iam::${ACCOUNT}:user/app`, Operations: ['Decrypt'] }));
    expect((await app.send(new DecryptCommand({ CiphertextBlob }))).Plaintext).toHaveLength(32);
    expect((await kms.send(new ListGrantsCommand({ KeyId: guarded }))).Grants!.map((g) => g.GrantId)).toContain(GrantId);
    await kms.send(new RevokeGrantCommand({ KeyId: guarded, GrantId: GrantId! }));
    await expect(app.send(new DecryptCommand({ CiphertextBlob }))).rejects.toBeInstanceOf(KMSServiceException);

    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/app-user` }, Action: 'kms:Decrypt', Resource: '*' },
      ],
    });
    await kms.send(new PutKeyPolicyCommand({ KeyId: guarded, PolicyName: 'default', Policy: policy }));
    expect((await kms.send(new GetKeyPolicyCommand({ KeyId: guarded, PolicyName: 'default' }))).Policy).toBe(policy);
    expect((await app.send(new DecryptCommand({ CiphertextBlob }))).Plaintext).toHaveLength(32);
  });

  it('refuses a client with the wrong secret', async () => {
    const wrong = kmsClient({ ...keys.admin, secretAccessKey: 'wrong' });
    const error = await wrong.send(new ListKeysCommand({})).catch((e: unknown) => e);
    expect((error as KMSServiceException).name).toBe('InvalidSignatureException');
  });
});
