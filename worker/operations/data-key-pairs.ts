import { z } from 'zod';
import { generateDataKeyPair, requireSupportedPairSpec } from '../crypto/data-key-pair';
import { UnsupportedOperationException } from '../errors';
import { unwrap } from '../result';
import { resolveKey, type OperationContext } from './context';
import { defineOperation } from './operation';
import { refuseDryRun } from './dry-run';
import { dataKeyPairSpec, dryRun, encryptionContext, grantTokens, keyIdField, recipient } from './schema';
import { arnOf, keyMaterialId } from './shapes';

/**
 * GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext: an asymmetric
 * pair for use outside the service, its private key encrypted under a
 * symmetric KMS key as Encrypt would (so Decrypt returns it). The Worker makes
 * the pair and the key's object only encrypts it: an RSA_4096 pair takes
 * a second or more of CPU, which inside the object would hold up every other
 * request to that key. The pair is no root key material; the private key of
 * a WithoutPlaintext pair is wiped here once it is encrypted.
 */

const dataKeyPairInput = z.object({
  KeyId: keyIdField,
  KeyPairSpec: dataKeyPairSpec,
  EncryptionContext: encryptionContext,
  GrantTokens: grantTokens,
  Recipient: recipient,
  DryRun: dryRun,
});

type Input = z.output<typeof dataKeyPairInput>;

async function generate(input: Input, ctx: OperationContext, action: 'kms:GenerateDataKeyPair' | 'kms:GenerateDataKeyPairWithoutPlaintext') {
  // Nitro Enclaves recipients (CiphertextForRecipient) need an attestation verifier the service does not have.
  if (input.Recipient !== undefined) throw new UnsupportedOperationException('Recipient (an attested Nitro Enclaves recipient) is not supported.');
  requireSupportedPairSpec(input.KeyPairSpec);
  const { key, caller } = await resolveKey(ctx, input.KeyId);
  if (input.DryRun) {
    return refuseDryRun({ key, caller }, action, { encryptionContext: input.EncryptionContext, 'kms:DataKeyPairSpec': input.KeyPairSpec }, 'ENCRYPT_DECRYPT');
  }
  const pair = await generateDataKeyPair(input.KeyPairSpec);
  const encrypted = await key.encryptDataKeyPair(caller, input.KeyPairSpec, pair.privateKey, input.EncryptionContext, action);
  if (action === 'kms:GenerateDataKeyPairWithoutPlaintext' || encrypted.error) pair.privateKey.fill(0);
  return { ...pair, ...unwrap(encrypted) };
}

export const GenerateDataKeyPair = defineOperation({
  input: dataKeyPairInput,
  async run(input, ctx) {
    const pair = await generate(input, ctx, 'kms:GenerateDataKeyPair');
    return {
      PrivateKeyCiphertextBlob: pair.ciphertext,
      PrivateKeyPlaintext: pair.privateKey,
      PublicKey: pair.publicKey,
      KeyId: arnOf(pair.key),
      KeyPairSpec: input.KeyPairSpec,
      KeyMaterialId: keyMaterialId(pair.key, pair.version),
    };
  },
});

export const GenerateDataKeyPairWithoutPlaintext = defineOperation({
  input: dataKeyPairInput.omit({ Recipient: true }),
  async run(input, ctx) {
    const pair = await generate(input, ctx, 'kms:GenerateDataKeyPairWithoutPlaintext');
    return {
      PrivateKeyCiphertextBlob: pair.ciphertext,
      PublicKey: pair.publicKey,
      KeyId: arnOf(pair.key),
      KeyPairSpec: input.KeyPairSpec,
      KeyMaterialId: keyMaterialId(pair.key, pair.version),
    };
  },
});
