import { Hono, type MiddlewareHandler } from 'hono';
import type { AppEnv } from '../app-env';
import { UnknownOperationException } from '../errors';
import { encryptBlob, importDerivationKey } from '../crypto/symmetric';
import { bearerSignIn } from '../middleware/sign-in';
import { objectsAddressed } from '../stubs';
import { readJsonObject, toJson } from '../wire/json';
import { discardBody, writeToStorage } from './discard-route';

/**
 * The benchmark's baseline: the work of GenerateDataKey (authenticate, parse,
 * 32 random bytes, one key derivation and AES-GCM wrap, JSON out) with the
 * key in Worker memory and no Durable Object. Off unless BENCH_ROUTES is "1";
 * signed in by the same middleware as the native routes, so the baseline
 * pays the same authentication a real request does, and nothing else of the
 * pipeline (no throttling, no audit).
 */
export const bench = new Hono<AppEnv>();

let wrappingKey: Promise<CryptoKey> | undefined;

/** Before sign-in: with the routes off, the route does not exist for anyone. */
const whenEnabled: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.env.BENCH_ROUTES !== '1') throw new UnknownOperationException('No such route.');
  await next();
};

bench.post('/bare-wrap', whenEnabled, bearerSignIn, async (c) => {
  const body = await readJsonObject(c.req.raw);
  wrappingKey ??= importDerivationKey(crypto.getRandomValues(new Uint8Array(32)));
  const plaintext = crypto.getRandomValues(new Uint8Array(32));
  const context = (body.EncryptionContext ?? {}) as Record<string, string>;
  const blob = await encryptBlob(await wrappingKey, '00000000-0000-4000-8000-000000000000', 1, plaintext, context);
  return c.body(toJson({ CiphertextBlob: blob, Plaintext: plaintext }), 200, { 'content-type': 'application/json' });
});

/** How many Durable Object calls this isolate has made (stubs.ts): the hot-key bench's objects per request. */
bench.post('/objects-addressed', whenEnabled, bearerSignIn, (c) => c.json({ count: objectsAddressed.count }));
bench.put('/discard', whenEnabled, bearerSignIn, discardBody);
bench.put('/storage-write', whenEnabled, bearerSignIn, writeToStorage);
