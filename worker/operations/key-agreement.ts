import { z } from 'zod';
import { UnsupportedOperationException } from '../errors';
import { unwrap } from '../result';
import { resolveKey } from './context';
import { defineOperation } from './operation';
import { refuseDryRun } from './dry-run';
import { blob, dryRun, grantTokens, keyAgreementAlgorithm, keyIdField, recipient } from './schema';
import { arnOf } from './shapes';

/** DeriveSharedSecret: ECDH between a KEY_AGREEMENT key's private half and a peer's public key (SPKI). */
export const DeriveSharedSecret = defineOperation({
  input: z.object({
    KeyId: keyIdField,
    KeyAgreementAlgorithm: keyAgreementAlgorithm,
    PublicKey: blob(1, 8192),
    GrantTokens: grantTokens,
    Recipient: recipient,
    DryRun: dryRun,
  }),
  async run(input, ctx) {
    if (input.Recipient !== undefined) throw new UnsupportedOperationException('Recipient (an attested Nitro Enclaves recipient) is not supported.');
    const { key, caller } = await resolveKey(ctx, input.KeyId);
    if (input.DryRun) return refuseDryRun({ key, caller }, 'kms:DeriveSharedSecret', { 'kms:KeyAgreementAlgorithm': input.KeyAgreementAlgorithm }, 'KEY_AGREEMENT');
    const derived = unwrap(await key.deriveSharedSecret(caller, input.KeyAgreementAlgorithm, input.PublicKey));
    return { KeyId: arnOf(derived.key), SharedSecret: derived.sharedSecret, KeyAgreementAlgorithm: input.KeyAgreementAlgorithm, KeyOrigin: derived.origin };
  },
});
