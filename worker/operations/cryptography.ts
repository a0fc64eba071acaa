import { z } from 'zod';
import { IncorrectKeyException, InvalidCiphertextException, ValidationException } from '../errors';
import { unwrap } from '../result';
import { blobKeyVersion, isSymmetricBlob, parseCiphertextBlob, type Ciphertext } from '../wire/ciphertext-blob';
import { requireIdentityAllows } from './account-access';
import { keyInAccount, resolveKey, type OperationContext } from './context';
import { defineOperation } from './operation';
import { refuseDryRun } from './dry-run';
import { recipientFacts, readRecipient, recipientField, secretField } from './recipient';
import { arnOf, keyMaterialId, publicKeyResponse } from './shapes';
import {
  blob,
  dryRun,
  encryptionAlgorithm,
  encryptionContext,
  grantTokens,
  keyIdField,
  macAlgorithm,
  messageType,
  signingAlgorithm,
} from './schema';

/** Operations that use a key's material: encryption, data keys, signatures, MACs, randomness. */

const ciphertextBlob = blob(1, 6144);
const message = blob(1, 4096);

/**
 * The one reading of a Decrypt's ciphertext: only symmetric ciphertexts carry
 * a header; RSA ciphertexts are random-looking bytes. The key object gets the
 * result, not the bytes again, so a blob is parsed once per request.
 */
function readCiphertext(bytes: Uint8Array, algorithm: string): Ciphertext {
  if (algorithm === 'SYMMETRIC_DEFAULT' && isSymmetricBlob(bytes)) return { kind: 'blob', blob: parseCiphertextBlob(bytes) };
  // Not decrypted as a blob; the audit record still names the version such bytes claim, as it always has.
  return { kind: 'opaque', bytes, claimedVersion: blobKeyVersion(bytes) };
}

/**
 * Finds the key of a ciphertext: symmetric blobs name their key; asymmetric
 * ciphertexts need the KeyId. When both are given they must agree.
 */
async function keyForCiphertext(ctx: OperationContext, ciphertext: Ciphertext, reference: string | undefined, algorithm: string) {
  const named = ciphertext.kind === 'blob' ? ciphertext.blob.keyId : undefined;
  if (reference === undefined) {
    if (named === undefined) {
      throw new InvalidCiphertextException(
        algorithm === 'SYMMETRIC_DEFAULT' ? 'The ciphertext is not an EdgeKMS ciphertext blob.' : 'Specify KeyId to decrypt with an asymmetric key.',
      );
    }
    // The blob names no account: without a KeyId ARN, the key must be the caller's own.
    return await keyInAccount(ctx, named);
  }
  const resolved = await resolveKey(ctx, reference);
  if (named !== undefined && named !== resolved.keyId) {
    throw new IncorrectKeyException('The ciphertext was encrypted under a different key than KeyId.');
  }
  return resolved;
}

export const Encrypt = defineOperation({
  input: z.object({
    KeyId: keyIdField,
    Plaintext: blob(1, 4096),
    EncryptionContext: encryptionContext,
    EncryptionAlgorithm: encryptionAlgorithm.default('SYMMETRIC_DEFAULT'),
    GrantTokens: grantTokens,
    DryRun: dryRun,
  }),
  async run(input, ctx) {
    const { key, caller } = await resolveKey(ctx, input.KeyId);
    const facts = { encryptionContext: input.EncryptionContext, encryptionAlgorithm: input.EncryptionAlgorithm };
    if (input.DryRun) return refuseDryRun({ key, caller }, 'kms:Encrypt', facts, 'ENCRYPT_DECRYPT');
    const encrypted = unwrap(await key.encrypt(caller, input.Plaintext, input.EncryptionContext, input.EncryptionAlgorithm));
    return { CiphertextBlob: encrypted.ciphertext, KeyId: arnOf(encrypted.key), EncryptionAlgorithm: input.EncryptionAlgorithm };
  },
});

export const Decrypt = defineOperation({
  input: z.object({
    CiphertextBlob: ciphertextBlob,
    EncryptionContext: encryptionContext,
    KeyId: keyIdField.optional(),
    EncryptionAlgorithm: encryptionAlgorithm.default('SYMMETRIC_DEFAULT'),
    GrantTokens: grantTokens,
    DryRun: dryRun,
    Recipient: recipientField,
  }),
  async run(input, ctx) {
    const recipient = await readRecipient(input.Recipient);
    const ciphertext = readCiphertext(input.CiphertextBlob, input.EncryptionAlgorithm);
    const { key, caller } = await keyForCiphertext(ctx, ciphertext, input.KeyId, input.EncryptionAlgorithm);
    const facts = { encryptionContext: input.EncryptionContext, encryptionAlgorithm: input.EncryptionAlgorithm, ...recipientFacts(recipient) };
    if (input.DryRun) return refuseDryRun({ key, caller }, 'kms:Decrypt', facts, 'ENCRYPT_DECRYPT');
    const decrypted = unwrap(
      await key.decrypt(caller, ciphertext, input.EncryptionContext, input.EncryptionAlgorithm, 'kms:Decrypt', recipientFacts(recipient)),
    );
    return {
      ...(await secretField(recipient, decrypted.plaintext)),
      KeyId: arnOf(decrypted.key),
      // AWS names the material only for symmetric keys, and not in an answer for a recipient.
      ...(ciphertext.kind === 'blob' && !recipient && { KeyMaterialId: keyMaterialId(decrypted.key, ciphertext.blob.version) }),
      EncryptionAlgorithm: input.EncryptionAlgorithm,
    };
  },
});

export const ReEncrypt = defineOperation({
  input: z.object({
    CiphertextBlob: ciphertextBlob,
    SourceEncryptionContext: encryptionContext,
    SourceKeyId: keyIdField.optional(),
    DestinationKeyId: keyIdField,
    DestinationEncryptionContext: encryptionContext,
    SourceEncryptionAlgorithm: encryptionAlgorithm.default('SYMMETRIC_DEFAULT'),
    DestinationEncryptionAlgorithm: encryptionAlgorithm.default('SYMMETRIC_DEFAULT'),
    GrantTokens: grantTokens,
    DryRun: dryRun,
  }),
  async run(input, ctx) {
    const ciphertext = readCiphertext(input.CiphertextBlob, input.SourceEncryptionAlgorithm);
    const source = await keyForCiphertext(ctx, ciphertext, input.SourceKeyId, input.SourceEncryptionAlgorithm);
    const destination = await resolveKey(ctx, input.DestinationKeyId);
    if (input.DryRun) {
      // Both halves must be allowed: the source key's ReEncryptFrom (answered only if it would fail) and the destination's ReEncryptTo.
      const from = { encryptionContext: input.SourceEncryptionContext, encryptionAlgorithm: input.SourceEncryptionAlgorithm };
      await refuseDryRun(source, 'kms:ReEncryptFrom', from, 'ENCRYPT_DECRYPT').catch((error: unknown) => {
        if ((error as Error).name !== 'DryRunOperationException') throw error;
      });
      const to = { encryptionContext: input.DestinationEncryptionContext, encryptionAlgorithm: input.DestinationEncryptionAlgorithm };
      return refuseDryRun(destination, 'kms:ReEncryptTo', to, 'ENCRYPT_DECRYPT');
    }
    const decrypted = unwrap(
      await source.key.decrypt(source.caller, ciphertext, input.SourceEncryptionContext, input.SourceEncryptionAlgorithm, 'kms:ReEncryptFrom'),
    );
    try {
      const encrypted = unwrap(
        await destination.key.encrypt(destination.caller, decrypted.plaintext, input.DestinationEncryptionContext, input.DestinationEncryptionAlgorithm, 'kms:ReEncryptTo'),
      );
      return {
        CiphertextBlob: encrypted.ciphertext,
        SourceKeyId: arnOf(decrypted.key),
        KeyId: arnOf(encrypted.key),
        SourceEncryptionAlgorithm: input.SourceEncryptionAlgorithm,
        DestinationEncryptionAlgorithm: input.DestinationEncryptionAlgorithm,
      };
    } finally {
      decrypted.plaintext.fill(0);
    }
  },
});

const dataKeyInput = z
  .object({
    KeyId: keyIdField,
    EncryptionContext: encryptionContext,
    KeySpec: z.enum(['AES_256', 'AES_128']).optional(),
    NumberOfBytes: z.number().int().min(1).max(1024).optional(),
    GrantTokens: grantTokens,
    DryRun: dryRun,
  });

/** The KeyMaterialId of a data key's answer: the version its new ciphertext blob names. */
function dataKeyMaterialId(key: Parameters<typeof keyMaterialId>[0], ciphertext: Uint8Array): string {
  return keyMaterialId(key, blobKeyVersion(ciphertext)!);
}

function dataKeyLength(input: z.output<typeof dataKeyInput>): number {
  if ((input.KeySpec === undefined) === (input.NumberOfBytes === undefined)) {
    throw new ValidationException('Specify either KeySpec or NumberOfBytes, but not both.');
  }
  return input.NumberOfBytes ?? (input.KeySpec === 'AES_128' ? 16 : 32);
}

export const GenerateDataKey = defineOperation({
  input: dataKeyInput.extend({ Recipient: recipientField }),
  async run(input, ctx) {
    const length = dataKeyLength(input);
    const recipient = await readRecipient(input.Recipient);
    const { key, caller } = await resolveKey(ctx, input.KeyId);
    if (input.DryRun) {
      return refuseDryRun({ key, caller }, 'kms:GenerateDataKey', { encryptionContext: input.EncryptionContext, ...recipientFacts(recipient) }, 'ENCRYPT_DECRYPT');
    }
    const { key: named, ciphertext, plaintext } = unwrap(
      await key.generateDataKey(caller, length, input.EncryptionContext, 'kms:GenerateDataKey', recipientFacts(recipient)),
    );
    return {
      CiphertextBlob: ciphertext,
      ...(await secretField(recipient, plaintext!)),
      KeyId: arnOf(named),
      ...(!recipient && { KeyMaterialId: dataKeyMaterialId(named, ciphertext) }),
    };
  },
});

export const GenerateDataKeyWithoutPlaintext = defineOperation({
  input: dataKeyInput,
  async run(input, ctx) {
    const length = dataKeyLength(input);
    const { key, caller } = await resolveKey(ctx, input.KeyId);
    if (input.DryRun) return refuseDryRun({ key, caller }, 'kms:GenerateDataKeyWithoutPlaintext', { encryptionContext: input.EncryptionContext }, 'ENCRYPT_DECRYPT');
    const { key: named, ciphertext } = unwrap(await key.generateDataKey(caller, length, input.EncryptionContext, 'kms:GenerateDataKeyWithoutPlaintext'));
    return { CiphertextBlob: ciphertext, KeyId: arnOf(named), KeyMaterialId: dataKeyMaterialId(named, ciphertext) };
  },
});

export const GenerateRandom = defineOperation({
  input: z.object({ NumberOfBytes: z.number().int().min(1).max(1024), Recipient: recipientField }),
  async run(input, ctx) {
    const recipient = await readRecipient(input.Recipient);
    requireIdentityAllows(ctx, 'kms:GenerateRandom');
    return secretField(recipient, crypto.getRandomValues(new Uint8Array(input.NumberOfBytes)));
  },
});

export const Sign = defineOperation({
  input: z.object({
    KeyId: keyIdField,
    Message: message,
    MessageType: messageType,
    SigningAlgorithm: signingAlgorithm,
    GrantTokens: grantTokens,
    DryRun: dryRun,
  }),
  async run(input, ctx) {
    const { key, caller } = await resolveKey(ctx, input.KeyId);
    const facts = { signingAlgorithm: input.SigningAlgorithm, messageType: input.MessageType };
    if (input.DryRun) return refuseDryRun({ key, caller }, 'kms:Sign', facts, 'SIGN_VERIFY');
    const signed = unwrap(await key.sign(caller, input.Message, input.MessageType, input.SigningAlgorithm));
    return { KeyId: arnOf(signed.key), Signature: signed.signature, SigningAlgorithm: input.SigningAlgorithm };
  },
});

export const Verify = defineOperation({
  input: z.object({
    KeyId: keyIdField,
    Message: message,
    MessageType: messageType,
    Signature: blob(1, 6144),
    SigningAlgorithm: signingAlgorithm,
    GrantTokens: grantTokens,
    DryRun: dryRun,
  }),
  async run(input, ctx) {
    const { key, caller } = await resolveKey(ctx, input.KeyId);
    const facts = { signingAlgorithm: input.SigningAlgorithm, messageType: input.MessageType };
    if (input.DryRun) return refuseDryRun({ key, caller }, 'kms:Verify', facts, 'SIGN_VERIFY');
    const verifier = unwrap(await key.verify(caller, input.Message, input.MessageType, input.Signature, input.SigningAlgorithm));
    return { KeyId: arnOf(verifier), SignatureValid: true, SigningAlgorithm: input.SigningAlgorithm };
  },
});

export const GetPublicKey = defineOperation({
  input: z.object({ KeyId: keyIdField, GrantTokens: grantTokens }),
  async run(input, ctx) {
    const { key, caller } = await resolveKey(ctx, input.KeyId);
    const { record, publicKey } = unwrap(await key.getPublicKey(caller));
    return publicKeyResponse(record, publicKey);
  },
});

export const GenerateMac = defineOperation({
  input: z.object({ KeyId: keyIdField, Message: message, MacAlgorithm: macAlgorithm, GrantTokens: grantTokens, DryRun: dryRun }),
  async run(input, ctx) {
    const { key, caller } = await resolveKey(ctx, input.KeyId);
    if (input.DryRun) return refuseDryRun({ key, caller }, 'kms:GenerateMac', { macAlgorithm: input.MacAlgorithm }, 'GENERATE_VERIFY_MAC');
    const made = unwrap(await key.generateMac(caller, input.Message, input.MacAlgorithm));
    return { KeyId: arnOf(made.key), Mac: made.mac, MacAlgorithm: input.MacAlgorithm };
  },
});

export const VerifyMac = defineOperation({
  input: z.object({
    KeyId: keyIdField,
    Message: message,
    Mac: blob(1, 6144),
    MacAlgorithm: macAlgorithm,
    GrantTokens: grantTokens,
    DryRun: dryRun,
  }),
  async run(input, ctx) {
    const { key, caller } = await resolveKey(ctx, input.KeyId);
    if (input.DryRun) return refuseDryRun({ key, caller }, 'kms:VerifyMac', { macAlgorithm: input.MacAlgorithm }, 'GENERATE_VERIFY_MAC');
    const verifier = unwrap(await key.verifyMac(caller, input.Message, input.Mac, input.MacAlgorithm));
    return { KeyId: arnOf(verifier), MacValid: true, MacAlgorithm: input.MacAlgorithm };
  },
});
