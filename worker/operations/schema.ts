import { z } from 'zod';
import { DATA_KEY_PAIR_SPECS } from '../crypto/data-key-pair';
import { ENCRYPTION_ALGORITHMS, KEY_AGREEMENT_ALGORITHMS, KEY_SPEC_NAMES, KEY_USAGES, MAC_ALGORITHMS, SIGNING_ALGORITHMS } from '../crypto/key-specs';
import { ValidationException } from '../errors';
import { contextBytes, MAX_CONTEXT_BYTES } from '../wire/encryption-context';
import { validationMessage } from './validation-message';

/**
 * Field types shared by the operations' input schemas, with the AWS KMS
 * constraints. Binary fields arrive as base64 strings and leave as bytes.
 */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const blob = (min: number, max: number) =>
  z
    .string()
    .regex(BASE64, 'Member must be base64-encoded')
    .transform((text) => Uint8Array.fromBase64(text))
    .refine((bytes) => bytes.length >= min, `Member must have length greater than or equal to ${min}`)
    .refine((bytes) => bytes.length <= max, `Member must have length less than or equal to ${max}`);

export const keyIdField = z.string().min(1).max(2048);
export const keyIdOnly = z.object({ KeyId: keyIdField });
/**
 * The encryption context is bound as UTF-8 bytes, so its strings must be
 * well-formed: a lone surrogate encodes as U+FFFD and would collide with any
 * other. A record parser silently drops a "__proto__" key, which would leave
 * it unbound; such a key is refused instead. Its total size is bounded
 * (MAX_CONTEXT_BYTES, wire/encryption-context.ts says why).
 */
const contextString = z
  .string()
  .max(8192)
  .refine((text) => !/\p{Cs}/u.test(text), 'Member must be well-formed Unicode (no unpaired surrogates)');
export const encryptionContext = z
  .custom<Record<string, unknown>>(
    (value) => typeof value !== 'object' || value === null || !Object.hasOwn(value, '__proto__'),
    "Member must not contain the key '__proto__'",
  )
  .pipe(z.record(contextString, contextString))
  .refine(
    (context) => contextBytes(context) <= MAX_CONTEXT_BYTES,
    `Member must have a total length of keys and values less than or equal to ${MAX_CONTEXT_BYTES} bytes`,
  )
  .optional();
export const grantTokens = z.array(z.string().min(1).max(8192)).max(10).optional();
export const limit = z.number().int().min(1).max(1000).optional();
export const marker = z.string().min(1).max(1024).regex(/^[\u0020-\u00FF]*$/).optional();
export const keySpec = z.enum(KEY_SPEC_NAMES);
export const keyUsage = z.enum(KEY_USAGES);
export const encryptionAlgorithm = z.enum(ENCRYPTION_ALGORITHMS);
export const signingAlgorithm = z.enum(SIGNING_ALGORITHMS);
export const macAlgorithm = z.enum(MAC_ALGORITHMS);
export const keyAgreementAlgorithm = z.enum(KEY_AGREEMENT_ALGORITHMS);
export const dataKeyPairSpec = z.enum(DATA_KEY_PAIR_SPECS);
/** A Nitro Enclaves attestation (RecipientInfo); the service has no attestation verifier, so a request naming one is refused. */
export const recipient = z.object({ KeyEncryptionAlgorithm: z.string().optional(), AttestationDocument: z.string().optional() }).optional();
export const messageType = z.enum(['RAW', 'DIGEST']).default('RAW');
export const tag = z.object({ TagKey: z.string().min(1).max(128), TagValue: z.string().max(256) });
/** No length limit in the model: more than 50 tags on a key is a TagException (key-object/tags.ts). */
export const tags = z.array(tag);
export const aliasName = z.string().min(1).max(256).regex(/^[a-zA-Z0-9:/_-]+$/);
/** The DryRun flag of the operations whose model has one (operations/dry-run.ts). */
export const dryRun = z.boolean().default(false);

/** Parses a request body against an operation's schema, or names every violation as AWS KMS does. */
export function parseInput<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  // The input of each issue is kept so that the message can quote it, as AWS KMS does (validation-message.ts).
  const result = schema.safeParse(body, { reportInput: true });
  if (result.success) return result.data;
  throw new ValidationException(validationMessage(result.error.issues));
}
