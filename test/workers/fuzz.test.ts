import { createExecutionContext, env } from 'cloudflare:test';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENCRYPTION_ALGORITHMS, MAC_ALGORITHMS, SIGNING_ALGORITHMS, type SigningAlgorithm } from '../../worker/crypto/key-specs';
import worker from '../../worker/index';
import { ADMIN_TOKEN, b64, concat, createKey, kms, ok, sha, unb64, utf8, type KmsResponse } from './helpers';

/**
 * Property-based fuzzing of the real Worker (its fetch handler → Hono →
 * Durable Objects; see `call` for why most runs skip SELF.fetch). Whatever the input, the service must answer either with the one
 * correct result or with a typed 4xx error (`__type` + `message`): never a
 * 5xx, never a wrong plaintext, never an accepted forged signature.
 *
 * Every property runs with a fixed seed (fast-check prints it, with the
 * counterexample, on failure) and stops at the first failure (`endOnFailure`)
 * so a failing run stays fast; replay a failure with its printed seed/path.
 */
const SEED = 0x6b6d_5f66; // "km_f"
const RUNS = 250;
const settings = (numRuns = RUNS): fc.Parameters<unknown> => ({ seed: SEED, numRuns, endOnFailure: true });

/** The AWS error names a malformed or mismatched Decrypt may produce. */
const DECRYPT_ERRORS = [
  'InvalidCiphertextException',
  'IncorrectKeyException',
  'NotFoundException',
  'ValidationException',
  'SerializationException',
  'KMSInvalidStateException',
  'DisabledException',
  'AccessDeniedException',
  'InvalidKeyUsageException',
] as const;

const REGION = 'us-east-1';
const ACCOUNT = '111122223333';

// ---- helpers ---------------------------------------------------------------

/**
 * How the fuzzer reaches the Worker. Under @cloudflare/vitest-pool-workers
 * every SELF.fetch costs more than the last (cloudflare/workers-sdk#15446:
 * ~5 ms at first, ~180 ms after 550 requests, in one workerd instance), which
 * would make thousands of fuzz requests quadratic. So most runs hand the same
 * HTTP request straight to the Worker's fetch handler (the Hono app, its
 * error handler and the real Durable Objects through `env`), and every
 * SELF_EVERY-th run goes through the helpers' `kms` (SELF.fetch) to keep the
 * full service-binding path under the same properties.
 */
const SELF_EVERY = 16;
let calls = 0;

async function call(operation: string, body: unknown = {}, { raw }: { raw?: string } = {}): Promise<KmsResponse> {
  if (calls++ % SELF_EVERY === 0) return kms(operation, body, raw === undefined ? {} : { raw });
  const request = new Request(`https://kms.test/v1/${operation}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
    body: raw ?? JSON.stringify(body),
  });
  let response: Response;
  try {
    response = await worker.fetch(request, env, createExecutionContext());
  } catch (error) {
    // What workerd would turn into a 500: the handler itself threw.
    return { status: 500, body: { __type: 'UncaughtException', message: String(error) } };
  }
  const text = await response.text();
  let parsed: Record<string, any>;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { __type: 'NotJson', message: text.slice(0, 200) };
  }
  return { status: response.status, body: parsed };
}

function describeResponse(label: string, response: KmsResponse): string {
  const body = JSON.stringify(response.body);
  return `${label} → HTTP ${response.status} ${body.length > 400 ? `${body.slice(0, 400)}…` : body}`;
}

/** A refusal: 4xx, an allowed `__type`, a string `message`. */
function expectTypedError(response: KmsResponse, allowed: readonly string[], label: string): void {
  const where = describeResponse(label, response);
  expect(response.status, where).toBeGreaterThanOrEqual(400);
  expect(response.status, where).toBeLessThan(500);
  expect(allowed, where).toContain(response.body.__type);
  expect(typeof response.body.message, where).toBe('string');
}

function expectSuccess(response: KmsResponse, label: string): void {
  const where = describeResponse(label, response);
  expect(response.status, where).toBe(200);
  expect(response.body, where).not.toHaveProperty('__type');
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

// ---- byte mutations ----------------------------------------------------------

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'extend'; bytes: Uint8Array }
  | { kind: 'replace'; at: number; value: number }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }), weight: 4 },
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  { arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), weight: 2 },
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
);

function applyMutation(source: Uint8Array, m: Mutation): Uint8Array {
  const length = source.length;
  switch (m.kind) {
    case 'flip': {
      const out = source.slice();
      if (length > 0) out[m.at % length]! ^= 1 << m.bit;
      return out;
    }
    case 'truncate':
      return source.slice(0, m.at % Math.max(length, 1));
    case 'extend':
      return concat(source, m.bytes);
    case 'replace': {
      const out = source.slice();
      if (length > 0) out[m.at % length] = m.value;
      return out;
    }
    case 'delete': {
      const at = m.at % Math.max(length, 1);
      return concat(source.subarray(0, at), source.subarray(at + m.count));
    }
    case 'insert': {
      const at = m.at % (length + 1);
      return concat(source.subarray(0, at), m.bytes, source.subarray(at));
    }
  }
}

// ---- fixtures ----------------------------------------------------------------

interface SymmetricFixture {
  keyId: string;
  arn: string;
  blob: Uint8Array;
  plaintext: string;
  context: Record<string, string> | undefined;
}

const BLOB_CONTEXT = { purpose: 'fuzz', user: 'alice', 'ünïcode': 'välue 😀' };

let symA: string; // the key of every source blob
let symAArn: string;
let symB: string; // another symmetric key: its blob lends a real foreign key id
let symBArn: string;
let aliasA: string;
let rsaEncrypt: string;
let sources: SymmetricFixture[];
let foreignSource: SymmetricFixture; // encrypted under symB
let foreignBlob: Uint8Array;

async function keyMetadata(body: Record<string, unknown>) {
  const { KeyMetadata } = await ok('CreateKey', body);
  return KeyMetadata as { KeyId: string; Arn: string };
}

async function setUpSymmetric(): Promise<void> {
  const a = await keyMetadata({});
  const b = await keyMetadata({});
  symA = a.KeyId;
  symAArn = a.Arn;
  symB = b.KeyId;
  symBArn = b.Arn;
  aliasA = `alias/fuzz-${symA.slice(0, 8)}`;
  await ok('CreateAlias', { AliasName: aliasA, TargetKeyId: symA });
  rsaEncrypt = await createKey({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' });

  const dataKey = await ok('GenerateDataKey', { KeyId: symA, KeySpec: 'AES_256', EncryptionContext: BLOB_CONTEXT });
  const message = b64(utf8('a short secret message for the fuzzer'));
  const encrypted = await ok('Encrypt', { KeyId: symA, Plaintext: message });
  sources = [
    { keyId: symA, arn: symAArn, blob: unb64(dataKey.CiphertextBlob), plaintext: dataKey.Plaintext, context: BLOB_CONTEXT },
    { keyId: symA, arn: symAArn, blob: unb64(encrypted.CiphertextBlob), plaintext: message, context: undefined },
  ];
  foreignBlob = unb64((await ok('Encrypt', { KeyId: symB, Plaintext: message })).CiphertextBlob);
  foreignSource = { keyId: symB, arn: symBArn, blob: foreignBlob, plaintext: message, context: undefined };
}

/** Decrypt, then the one property of the whole service: right answer or typed refusal. */
async function decryptAndCheck(
  label: string,
  body: Record<string, unknown>,
  expected: { plaintext: string } | undefined,
): Promise<void> {
  const response = await call('Decrypt', body);
  if (expected) {
    expectSuccess(response, label);
    expect(response.body.Plaintext, label).toBe(expected.plaintext);
  } else {
    expectTypedError(response, DECRYPT_ERRORS, label);
  }
}

// ---- 1. Decrypt ----------------------------------------------------------------

describe('fuzz: Decrypt only returns the right plaintext or a typed refusal', () => {
  beforeAll(setUpSymmetric, 60_000);

  it('random byte strings as CiphertextBlob', async () => {
    const magic = new Uint8Array([0x45, 0x4b, 0x01]);
    const bytes = fc.oneof(
      { arbitrary: fc.uint8Array({ minLength: 0, maxLength: 300 }), weight: 6 },
      // Random bytes behind a valid magic reach the header parser.
      { arbitrary: fc.uint8Array({ minLength: 0, maxLength: 200 }).map((rest) => concat(magic, rest)), weight: 3 },
      // Around the 6144-byte limit of the field.
      { arbitrary: fc.uint8Array({ minLength: 6000, maxLength: 7000 }), weight: 1 },
    );
    const keyIds = fc.option(fc.constantFrom(() => symA, () => rsaEncrypt), { nil: undefined });
    const algorithms = fc.option(fc.constantFrom('SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(bytes, keyIds, algorithms, async (blob, keyId, algorithm) => {
        const body: Record<string, unknown> = { CiphertextBlob: b64(blob) };
        if (keyId) body.KeyId = keyId();
        if (algorithm) body.EncryptionAlgorithm = algorithm;
        // No random byte string is a ciphertext the service made.
        await decryptAndCheck(`Decrypt(random ${blob.length} bytes)`, body, undefined);
      }),
      settings(),
    );
  });

  it('mutations of a valid symmetric blob', async () => {
    type BlobMutation =
      | Mutation
      | { kind: 'keyId'; from: 'other-key' | 'upper-case' | Uint8Array | string }
      | { kind: 'version'; value: number }
      | { kind: 'magic'; value: number };
    const blobMutation: fc.Arbitrary<BlobMutation> = fc.oneof(
      { arbitrary: mutationArb, weight: 6 },
      {
        arbitrary: fc.record({
          kind: fc.constant('keyId' as const),
          from: fc.oneof(
            fc.constant('other-key' as const),
            fc.constant('upper-case' as const),
            fc.uuid({ version: 4 }),
            fc.uint8Array({ minLength: 36, maxLength: 36 }),
          ),
        }),
        weight: 2,
      },
      {
        arbitrary: fc.record({
          kind: fc.constant('version' as const),
          value: fc.oneof(fc.constantFrom(0, 2, 3, 0x7fffffff, 0x80000000, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff })),
        }),
        weight: 2,
      },
      fc.record({ kind: fc.constant('magic' as const), value: fc.integer({ min: 0, max: 2 }) }),
    );

    const apply = (source: Uint8Array, m: BlobMutation): Uint8Array => {
      const out = source.slice();
      switch (m.kind) {
        case 'keyId': {
          // Splice the key-id region (bytes 3..39) of another real blob, or another id.
          const id =
            m.from === 'other-key'
              ? foreignBlob.subarray(3, 39)
              : m.from === 'upper-case'
                ? utf8(symA.toUpperCase())
                : typeof m.from === 'string'
                  ? utf8(m.from)
                  : m.from;
          // A blob truncated to fewer than 3 bytes has no key-id region to splice.
          if (out.length > 3) out.set(id.subarray(0, out.length - 3), 3);
          return out;
        }
        case 'version':
          if (out.length >= 43) new DataView(out.buffer).setUint32(39, m.value);
          return out;
        case 'magic':
          if (out.length > m.value) out[m.value] = (out[m.value]! + 1) & 0xff;
          return out;
        default:
          return applyMutation(source, m);
      }
    };

    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1 }),
        fc.array(blobMutation, { minLength: 1, maxLength: 3 }),
        async (which, mutations) => {
          const source = sources[which]!;
          const mutated = mutations.reduce(apply, source.blob);
          const body: Record<string, unknown> = { CiphertextBlob: b64(mutated) };
          if (source.context) body.EncryptionContext = source.context;
          const unchanged = equalBytes(mutated, source.blob);
          await decryptAndCheck(
            `Decrypt(mutated blob ${b64(mutated)})`,
            body,
            unchanged ? { plaintext: source.plaintext } : undefined,
          );
        },
      ),
      settings(300),
    );
  });

  it('random EncryptionContext against the blob’s own context', async () => {
    const entries = Object.entries(BLOB_CONTEXT);
    const contextArb: fc.Arbitrary<Record<string, string> | undefined> = fc.oneof(
      fc.constant(BLOB_CONTEXT),
      fc.constant(undefined),
      fc.constant({}),
      // Drop one pair.
      fc.integer({ min: 0, max: entries.length - 1 }).map((i) => Object.fromEntries(entries.filter((_, j) => j !== i))),
      // Add one pair.
      fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })).map(([k, v]) => ({ ...BLOB_CONTEXT, [k]: v })),
      // Change one value, or one key.
      fc.tuple(fc.integer({ min: 0, max: entries.length - 1 }), fc.string({ maxLength: 12 }), fc.boolean()).map(([i, text, onKey]) =>
        Object.fromEntries(entries.map(([k, v], j) => (j !== i ? [k, v] : onKey ? [text, v] : [k, text]))),
      ),
      // Keys and values swapped, or moved between pairs (a naive encoding would collide).
      fc.constant(Object.fromEntries(entries.map(([k, v]) => [v, k]))),
      fc.constant({ purpose: 'fuzzuser', '': 'alice', 'ünïcode': 'välue 😀' }),
      fc.constant({ purposefuzz: '', user: 'alice', 'ünïcode': 'välue 😀' }),
      fc.dictionary(fc.string({ maxLength: 10, unit: 'binary' }), fc.string({ maxLength: 10, unit: 'binary' }), { maxKeys: 5 }),
    );
    const sameAsBlob = (context: Record<string, string> | undefined) => sameContext(context ?? {}, BLOB_CONTEXT);
    await fc.assert(
      fc.asyncProperty(contextArb, async (context) => {
        const source = sources[0]!;
        const body: Record<string, unknown> = { CiphertextBlob: b64(source.blob) };
        if (context !== undefined) body.EncryptionContext = context;
        await decryptAndCheck(
          `Decrypt(context ${JSON.stringify(context)})`,
          body,
          sameAsBlob(context) ? { plaintext: source.plaintext } : undefined,
        );
      }),
      settings(),
    );
  });

  /**
   * Encrypts under a context drawn from `key`/`text`, then decrypts with that
   * context or a near miss. The blob may open only under an equal map (the
   * same own keys, each with the same string); the service may instead refuse
   * a context it cannot bind faithfully, but then with a typed error.
   */
  async function contextsNeverStandIn(key: fc.Arbitrary<string>, text: fc.Arbitrary<string>, piece: fc.Arbitrary<string>): Promise<void> {
    const pairs = fc.uniqueArray(fc.tuple(key, text), { maxLength: 3, selector: ([k]) => k });
    const original = pairs.map((p) => Object.fromEntries(p) as Record<string, string>);
    const candidate = (orig: Record<string, string>) =>
      fc.oneof(
        fc.constant(orig),
        original,
        // Rewrite one key or one value.
        fc.tuple(fc.nat(), key, text, fc.boolean()).map(([i, k, t, onKey]) => {
          const entries = Object.entries(orig);
          if (entries.length === 0) return Object.fromEntries([[k, t]]);
          const at = i % entries.length;
          return Object.fromEntries(entries.map(([ek, ev], j) => (j !== at ? [ek, ev] : onKey ? [k, ev] : [ek, t])));
        }),
        // Change one UTF-16 unit of one key or value: the nearest of misses.
        fc.tuple(fc.nat(), fc.nat(), piece, fc.boolean()).map(([i, at, p, onKey]) => {
          const entries = Object.entries(orig);
          if (entries.length === 0) return Object.fromEntries([[p, p]]);
          const which = i % entries.length;
          const tweak = (t: string) => {
            const j = at % (t.length + 1);
            return t.slice(0, j) + p + t.slice(j + 1);
          };
          return Object.fromEntries(entries.map(([k, v], j) => (j !== which ? [k, v] : onKey ? [tweak(k), v] : [k, tweak(v)])));
        }),
        // Drop one pair.
        fc.nat().map((i) => {
          const entries = Object.entries(orig);
          return Object.fromEntries(entries.filter((_, j) => j !== i % Math.max(entries.length, 1)));
        }),
        // Add one pair.
        fc.tuple(key, text).map(([k, v]) => Object.fromEntries([...Object.entries(orig), [k, v]])),
      );
    const plaintext = b64(utf8('context-bound secret'));
    await fc.assert(
      fc.asyncProperty(
        original.chain((orig) => fc.tuple(fc.constant(orig), candidate(orig))),
        async ([orig, given]) => {
          const encrypted = await call('Encrypt', { KeyId: symA, Plaintext: plaintext, EncryptionContext: orig });
          if (encrypted.status !== 200) {
            expectTypedError(encrypted, ['ValidationException', 'SerializationException'], `Encrypt(context ${JSON.stringify(orig)})`);
            return;
          }
          expectSuccess(encrypted, 'Encrypt');
          await decryptAndCheck(
            `Decrypt(blob bound to ${JSON.stringify(orig)}, given ${JSON.stringify(given)})`,
            { CiphertextBlob: encrypted.body.CiphertextBlob, EncryptionContext: given },
            sameContext(given, orig) ? { plaintext } : undefined,
          );
        },
      ),
      settings(),
    );
  }

  it('encryption contexts in awkward Unicode never stand in for one another', async () => {
    // A small alphabet makes near-collisions likely: lone surrogates, NUL,
    // multi-byte characters, separators a naive encoding would confuse.
    const piece = fc.constantFrom('a', 'b', '\u0000', 'é', '€', '😀', '\ud800', '\udbff', '\udc00', '\udfff', '\ufffd', '=', ',');
    const text = fc.string({ unit: piece, maxLength: 3 });
    await contextsNeverStandIn(text, text, piece);
  });

  it('encryption context keys that JavaScript objects treat specially', async () => {
    const piece = fc.constantFrom('a', 'b', 'é', '_');
    const text = fc.string({ unit: piece, maxLength: 3 });
    const key = fc.oneof(
      { arbitrary: text, weight: 2 },
      fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', ''),
    );
    await contextsNeverStandIn(key, text, piece);
  });

  it('a KeyId that disagrees with the blob’s key', async () => {
    /** A way to name a key, and which of the two keys (if any) it names. */
    type Reference = { name: string; names: 'A' | 'B' | null };
    const references = (): Reference[] => [
      { name: symA, names: 'A' },
      { name: symAArn, names: 'A' },
      { name: aliasA, names: 'A' },
      { name: `arn:aws:kms:${REGION}:${ACCOUNT}:${aliasA}`, names: 'A' },
      { name: symB, names: 'B' },
      { name: symBArn, names: 'B' },
      { name: `alias/fuzz-none-${symB.slice(0, 8)}`, names: null },
      { name: rsaEncrypt, names: null },
      { name: symA.toUpperCase(), names: null },
      { name: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${symA}`, names: null },
      { name: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${symB}`, names: 'B' },
      { name: 'alias/aws/kms', names: null },
    ];
    const referenceArb = fc.oneof(
      { arbitrary: fc.nat().map((i) => (refs: Reference[]) => refs[i % refs.length]!), weight: 4 },
      fc.uuid({ version: 4 }).map((name) => (): Reference => ({ name, names: null })),
      fc.string({ minLength: 1, maxLength: 60 }).map((name) => (): Reference => ({ name, names: name === symA ? 'A' : name === symB ? 'B' : null })),
    );
    await fc.assert(
      fc.asyncProperty(
        referenceArb,
        fc.integer({ min: 0, max: 1 }),
        fc.boolean(),
        fc.option(fc.constantFrom('SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_256'), { nil: undefined }),
        async (pick, which, foreign, algorithm) => {
          const reference = pick(references());
          // Either one of A's blobs, or B's blob (no context, a known plaintext).
          const source: SymmetricFixture = foreign ? foreignSource : sources[which]!;
          const owner = foreign ? 'B' : 'A';
          const agrees = reference.names === owner && (algorithm ?? 'SYMMETRIC_DEFAULT') === 'SYMMETRIC_DEFAULT';
          const body: Record<string, unknown> = { CiphertextBlob: b64(source.blob), KeyId: reference.name };
          if (source.context) body.EncryptionContext = source.context;
          if (algorithm) body.EncryptionAlgorithm = algorithm;
          await decryptAndCheck(
            `Decrypt(blob of ${owner}, KeyId ${reference.name}, ${algorithm ?? 'default algorithm'})`,
            body,
            agrees ? { plaintext: source.plaintext } : undefined,
          );
        },
      ),
      settings(),
    );
  });

  it('a key ARN with the blob’s key id but another account is not the blob’s key', async () => {
    // An ARN names one key in one account; the same key id under another
    // account is another key (AWS KMS: NotFoundException / IncorrectKeyException).
    const source = sources[1]!;
    for (const account of ['999999999999', '000000000000']) {
      await decryptAndCheck(
        `Decrypt(blob of A, KeyId arn:aws:kms:${REGION}:${account}:key/<A>)`,
        { CiphertextBlob: b64(source.blob), KeyId: `arn:aws:kms:${REGION}:${account}:key/${symA}` },
        undefined,
      );
    }
  });
});

/** Two contexts are the same map: the same own keys, each with the same string. */
function sameContext(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const x = Object.entries(a ?? {});
  const y = new Map(Object.entries(b ?? {}));
  return x.length === y.size && x.every(([k, v]) => y.has(k) && y.get(k) === v);
}

// ---- 2. Verify ----------------------------------------------------------------

const DIGEST_LENGTH: Record<SigningAlgorithm, number> = {
  ECDSA_SHA_256: 32,
  ECDSA_SHA_384: 48,
  ECDSA_SHA_512: 64,
  RSASSA_PSS_SHA_256: 32,
  RSASSA_PSS_SHA_384: 48,
  RSASSA_PSS_SHA_512: 64,
  RSASSA_PKCS1_V1_5_SHA_256: 32,
  RSASSA_PKCS1_V1_5_SHA_384: 48,
  RSASSA_PKCS1_V1_5_SHA_512: 64,
  ED25519_SHA_512: 64,
};

interface SigningCase {
  name: string;
  keyId: string;
  offered: SigningAlgorithm[];
  algorithm: SigningAlgorithm;
  messageType: 'RAW' | 'DIGEST';
  message: Uint8Array;
  signature: Uint8Array;
}

const SIGNED_TEXT = utf8('EdgeKMS fuzz: the one message that was signed.');

/** What Verify must answer for a (message, signature, algorithm) against a case. */
function expectedVerify(c: SigningCase, message: Uint8Array, signature: Uint8Array, algorithm: SigningAlgorithm): string {
  if (message.length < 1 || message.length > 4096 || signature.length < 1 || signature.length > 6144) return 'ValidationException';
  if (!c.offered.includes(algorithm)) return 'InvalidKeyUsageException';
  if (c.messageType === 'DIGEST') {
    if (algorithm === 'ED25519_SHA_512') return 'ValidationException';
    if (message.length !== DIGEST_LENGTH[algorithm]) return 'ValidationException';
  }
  const untouched = algorithm === c.algorithm && equalBytes(message, c.message) && equalBytes(signature, c.signature);
  return untouched ? 'valid' : 'KMSInvalidSignatureException';
}

describe('fuzz: Verify accepts only the untouched signature', () => {
  let cases: SigningCase[];

  beforeAll(async () => {
    const rsaAlgorithms = SIGNING_ALGORITHMS.filter((a) => a.startsWith('RSASSA_'));
    const [p256, p384, rsa, ed25519] = await Promise.all([
      createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }),
      createKey({ KeySpec: 'ECC_NIST_P384', KeyUsage: 'SIGN_VERIFY' }),
      createKey({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }),
      createKey({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' }),
    ]);
    const plan: Omit<SigningCase, 'signature' | 'message' | 'name'>[] = [
      { keyId: p256, offered: ['ECDSA_SHA_256'], algorithm: 'ECDSA_SHA_256', messageType: 'RAW' },
      { keyId: p256, offered: ['ECDSA_SHA_256'], algorithm: 'ECDSA_SHA_256', messageType: 'DIGEST' },
      { keyId: p384, offered: ['ECDSA_SHA_384'], algorithm: 'ECDSA_SHA_384', messageType: 'RAW' },
      { keyId: p384, offered: ['ECDSA_SHA_384'], algorithm: 'ECDSA_SHA_384', messageType: 'DIGEST' },
      { keyId: rsa, offered: rsaAlgorithms, algorithm: 'RSASSA_PSS_SHA_256', messageType: 'RAW' },
      { keyId: rsa, offered: rsaAlgorithms, algorithm: 'RSASSA_PSS_SHA_256', messageType: 'DIGEST' },
      { keyId: rsa, offered: rsaAlgorithms, algorithm: 'RSASSA_PKCS1_V1_5_SHA_256', messageType: 'RAW' },
      { keyId: rsa, offered: rsaAlgorithms, algorithm: 'RSASSA_PKCS1_V1_5_SHA_256', messageType: 'DIGEST' },
      { keyId: ed25519, offered: ['ED25519_SHA_512'], algorithm: 'ED25519_SHA_512', messageType: 'RAW' },
    ];
    cases = [];
    for (const p of plan) {
      const hash = DIGEST_LENGTH[p.algorithm] === 48 ? 'SHA-384' : 'SHA-256';
      const message = p.messageType === 'RAW' ? SIGNED_TEXT : await sha(hash, SIGNED_TEXT);
      const signed = await ok('Sign', { KeyId: p.keyId, Message: b64(message), MessageType: p.messageType, SigningAlgorithm: p.algorithm });
      const signature = unb64(signed.Signature);
      // Sanity: the fixture itself verifies.
      const check = await kms('Verify', {
        KeyId: p.keyId,
        Message: b64(message),
        MessageType: p.messageType,
        Signature: b64(signature),
        SigningAlgorithm: p.algorithm,
      });
      expect(check.body.SignatureValid, describeResponse(`Verify fixture ${p.algorithm}/${p.messageType}`, check)).toBe(true);
      cases.push({ ...p, name: `${p.algorithm}/${p.messageType}`, message, signature });
    }
    // Ed25519 takes only RAW messages: signing a digest is refused, and so is
    // verifying one; the Ed25519 DIGEST case below expects ValidationException.
    const edDigest = await sha('SHA-512', SIGNED_TEXT);
    const refusedSign = await kms('Sign', { KeyId: ed25519, Message: b64(edDigest), MessageType: 'DIGEST', SigningAlgorithm: 'ED25519_SHA_512' });
    expectTypedError(refusedSign, ['ValidationException'], 'Sign(Ed25519, DIGEST)');
    const edRaw = cases.find((c) => c.keyId === ed25519)!;
    cases.push({ ...edRaw, name: 'ED25519_SHA_512/DIGEST', messageType: 'DIGEST', message: edDigest });
  }, 60_000);

  it('random, mutated and foreign signatures over original and mutated messages', async () => {
    type Variant<T> = { kind: 'same' } | { kind: 'mutate'; mutations: Mutation[] } | { kind: 'random'; value: T };
    const signatureArb: fc.Arbitrary<Variant<Uint8Array>> = fc.oneof(
      { arbitrary: fc.constant({ kind: 'same' as const }), weight: 3 },
      { arbitrary: fc.record({ kind: fc.constant('mutate' as const), mutations: fc.array(mutationArb, { minLength: 1, maxLength: 2 }) }), weight: 5 },
      {
        arbitrary: fc.record({
          kind: fc.constant('random' as const),
          value: fc.oneof(
            fc.uint8Array({ minLength: 0, maxLength: 600 }),
            fc.uint8Array({ minLength: 64, maxLength: 64 }), // Ed25519 and P-256 P1363 sizes
            fc.uint8Array({ minLength: 256, maxLength: 256 }), // RSA-2048 size
            // DER-shaped noise: SEQUENCE { INTEGER, INTEGER } with random contents.
            fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 49 }), fc.uint8Array({ minLength: 1, maxLength: 49 })).map(([r, s]) =>
              new Uint8Array([0x30, r.length + s.length + 4, 0x02, r.length, ...r, 0x02, s.length, ...s]),
            ),
            fc.uint8Array({ minLength: 6100, maxLength: 6300 }),
          ),
        }),
        weight: 2,
      },
    );
    const messageArb: fc.Arbitrary<Variant<Uint8Array>> = fc.oneof(
      { arbitrary: fc.constant({ kind: 'same' as const }), weight: 4 },
      { arbitrary: fc.record({ kind: fc.constant('mutate' as const), mutations: fc.array(mutationArb, { minLength: 1, maxLength: 2 }) }), weight: 3 },
      {
        arbitrary: fc.record({
          kind: fc.constant('random' as const),
          value: fc.oneof(
            fc.uint8Array({ minLength: 0, maxLength: 100 }),
            fc.constantFrom(32, 48, 64).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
            fc.uint8Array({ minLength: 4090, maxLength: 4100 }),
          ),
        }),
        weight: 2,
      },
    );
    const algorithmArb = fc.option(fc.constantFrom(...SIGNING_ALGORITHMS), { nil: undefined, freq: 4 });
    const pick = (original: Uint8Array, v: Variant<Uint8Array>) =>
      v.kind === 'same' ? original : v.kind === 'random' ? v.value : v.mutations.reduce(applyMutation, original);

    await fc.assert(
      fc.asyncProperty(fc.nat(), signatureArb, messageArb, algorithmArb, async (index, sigVariant, msgVariant, otherAlgorithm) => {
        const c = cases[index % cases.length]!;
        const signature = pick(c.signature, sigVariant);
        const message = pick(c.message, msgVariant);
        const algorithm = otherAlgorithm ?? c.algorithm;
        const expected = expectedVerify(c, message, signature, algorithm);
        const response = await call('Verify', {
          KeyId: c.keyId,
          Message: b64(message),
          MessageType: c.messageType,
          Signature: b64(signature),
          SigningAlgorithm: algorithm,
        });
        const label = `Verify ${c.name} as ${algorithm}: message ${b64(message).slice(0, 120)} signature ${b64(signature).slice(0, 700)}`;
        if (expected === 'valid') {
          expectSuccess(response, label);
          expect(response.body.SignatureValid, label).toBe(true);
        } else {
          expectTypedError(response, [expected], label);
        }
      }),
      settings(300),
    );
  });
});

// ---- 3. malformed JSON bodies ----------------------------------------------------

type FieldKind =
  | { type: 'string'; max?: number; min?: number }
  | { type: 'enum'; values: string[] }
  | { type: 'blob'; max: number }
  | { type: 'int'; min: number; max: number }
  | { type: 'bool' }
  | { type: 'context' }
  | { type: 'grants' }
  | { type: 'tags' }
  | { type: 'stringArray' };

interface FieldSpec {
  kind: FieldKind;
  /** A well-typed value, used for the fields left intact. */
  valid: () => unknown;
}

const NO_SUCH_KEY = '00000000-0000-4000-8000-000000000000';
const keyIdField: FieldSpec = { kind: { type: 'string', min: 1, max: 2048 }, valid: () => NO_SUCH_KEY };
const contextField: FieldSpec = { kind: { type: 'context' }, valid: () => ({ a: 'b' }) };
const grantsField: FieldSpec = { kind: { type: 'grants' }, valid: () => ['grant-token'] };
const blobField = (max: number): FieldSpec => ({ kind: { type: 'blob', max }, valid: () => 'AAECAwQ=' });
const enumField = (...values: string[]): FieldSpec => ({ kind: { type: 'enum', values }, valid: () => values[0] });
const intField = (min: number, max: number): FieldSpec => ({ kind: { type: 'int', min, max }, valid: () => min });
const markerField: FieldSpec = { kind: { type: 'string', min: 1, max: 1024 }, valid: () => 'marker' };
const SIGNING: readonly string[] = SIGNING_ALGORITHMS;
const MACS: readonly string[] = MAC_ALGORITHMS;
const ENCRYPTION: readonly string[] = ENCRYPTION_ALGORITHMS;
const KEY_SPECS = [
  'SYMMETRIC_DEFAULT',
  'HMAC_256',
  'HMAC_384',
  'HMAC_512',
  'ECC_NIST_P256',
  'ECC_NIST_P384',
  'ECC_NIST_P521',
  'ECC_SECG_P256K1',
  'HMAC_224',
  'ECC_NIST_EDWARDS25519',
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
];
const DATA_KEY_PAIR_SPECS = ['ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_P521', 'ECC_SECG_P256K1', 'ECC_NIST_EDWARDS25519', 'RSA_2048', 'RSA_3072', 'RSA_4096', 'SM2'];

/** Every operation's fields, with the types the AWS KMS JSON API gives them. */
const OPERATION_FIELDS: Record<string, Record<string, FieldSpec>> = {
  Encrypt: { KeyId: keyIdField, Plaintext: blobField(4096), EncryptionContext: contextField, EncryptionAlgorithm: enumField(...ENCRYPTION), GrantTokens: grantsField },
  Decrypt: { CiphertextBlob: blobField(6144), EncryptionContext: contextField, KeyId: keyIdField, EncryptionAlgorithm: enumField(...ENCRYPTION), GrantTokens: grantsField },
  ReEncrypt: {
    CiphertextBlob: blobField(6144),
    SourceEncryptionContext: contextField,
    SourceKeyId: keyIdField,
    DestinationKeyId: keyIdField,
    DestinationEncryptionContext: contextField,
    SourceEncryptionAlgorithm: enumField(...ENCRYPTION),
    DestinationEncryptionAlgorithm: enumField(...ENCRYPTION),
    GrantTokens: grantsField,
  },
  GenerateDataKey: { KeyId: keyIdField, EncryptionContext: contextField, KeySpec: enumField('AES_256', 'AES_128'), GrantTokens: grantsField },
  GenerateDataKeyWithoutPlaintext: { KeyId: keyIdField, EncryptionContext: contextField, NumberOfBytes: intField(1, 1024), GrantTokens: grantsField },
  GenerateRandom: { NumberOfBytes: intField(1, 1024) },
  Sign: { KeyId: keyIdField, Message: blobField(4096), MessageType: enumField('RAW', 'DIGEST'), SigningAlgorithm: enumField(...SIGNING), GrantTokens: grantsField },
  Verify: {
    KeyId: keyIdField,
    Message: blobField(4096),
    MessageType: enumField('RAW', 'DIGEST'),
    Signature: blobField(6144),
    SigningAlgorithm: enumField(...SIGNING),
    GrantTokens: grantsField,
  },
  GetPublicKey: { KeyId: keyIdField, GrantTokens: grantsField },
  GenerateDataKeyPair: { KeyId: keyIdField, KeyPairSpec: enumField(...DATA_KEY_PAIR_SPECS), EncryptionContext: contextField, GrantTokens: grantsField },
  GenerateDataKeyPairWithoutPlaintext: { KeyId: keyIdField, KeyPairSpec: enumField(...DATA_KEY_PAIR_SPECS), EncryptionContext: contextField, GrantTokens: grantsField },
  DeriveSharedSecret: { KeyId: keyIdField, KeyAgreementAlgorithm: enumField('ECDH'), PublicKey: blobField(8192), GrantTokens: grantsField },
  GetKeyLastUsage: { KeyId: keyIdField },
  GenerateMac: { KeyId: keyIdField, Message: blobField(4096), MacAlgorithm: enumField(...MACS), GrantTokens: grantsField },
  VerifyMac: { KeyId: keyIdField, Message: blobField(4096), Mac: blobField(6144), MacAlgorithm: enumField(...MACS), GrantTokens: grantsField },
  CreateKey: {
    KeySpec: enumField(...KEY_SPECS),
    CustomerMasterKeySpec: enumField(...KEY_SPECS),
    KeyUsage: enumField('ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT'),
    Description: { kind: { type: 'string', max: 8192 }, valid: () => 'fuzz' },
    Tags: { kind: { type: 'tags' }, valid: () => [{ TagKey: 'k', TagValue: 'v' }] },
    MultiRegion: { kind: { type: 'bool' }, valid: () => false },
  },
  DescribeKey: { KeyId: keyIdField },
  ListKeys: { Limit: intField(1, 1000), Marker: markerField },
  EnableKey: { KeyId: keyIdField },
  DisableKey: { KeyId: keyIdField },
  ScheduleKeyDeletion: { KeyId: keyIdField, PendingWindowInDays: intField(7, 30) },
  CancelKeyDeletion: { KeyId: keyIdField },
  UpdateKeyDescription: { KeyId: keyIdField, Description: { kind: { type: 'string', max: 8192 }, valid: () => 'fuzz' } },
  TagResource: { KeyId: keyIdField, Tags: { kind: { type: 'tags' }, valid: () => [{ TagKey: 'k', TagValue: 'v' }] } },
  UntagResource: { KeyId: keyIdField, TagKeys: { kind: { type: 'stringArray' }, valid: () => ['k'] } },
  ListResourceTags: { KeyId: keyIdField, Limit: intField(1, 50), Marker: markerField },
  CreateAlias: { AliasName: { kind: { type: 'string', min: 1, max: 256 }, valid: () => 'alias/fuzz-json' }, TargetKeyId: keyIdField },
  UpdateAlias: { AliasName: { kind: { type: 'string', min: 1, max: 256 }, valid: () => 'alias/fuzz-json' }, TargetKeyId: keyIdField },
  DeleteAlias: { AliasName: { kind: { type: 'string', min: 1, max: 256 }, valid: () => 'alias/fuzz-json' } },
  ListAliases: { KeyId: keyIdField, Limit: intField(1, 1000), Marker: markerField },
  EnableKeyRotation: { KeyId: keyIdField, RotationPeriodInDays: intField(90, 2560) },
  DisableKeyRotation: { KeyId: keyIdField },
  GetKeyRotationStatus: { KeyId: keyIdField },
  RotateKeyOnDemand: { KeyId: keyIdField },
  ListKeyRotations: { KeyId: keyIdField, Limit: intField(1, 1000), Marker: markerField },
};
const OPERATIONS = Object.keys(OPERATION_FIELDS);

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Base64 that a strict decoder must refuse: whitespace, url alphabet, bad padding, stray characters. */
const invalidBase64 = fc
  .tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.nat(), fc.constantFrom(' ', '\n', '-', '_', '.', '!', '=', '==', '===', 'é', '%', '\u0000'), fc.constantFrom('insert', 'strip', 'append'))
  .map(([bytes, at, junk, how]) => {
    const text = b64(bytes);
    if (how === 'strip') return text.replace(/=+$/, '') + (text.endsWith('=') ? '' : 'A');
    if (how === 'append') return text + junk;
    const i = at % (text.length + 1);
    return text.slice(0, i) + junk + text.slice(i);
  })
  .filter((text) => !STRICT_BASE64.test(text));

const notAString = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  fc.constant([[[[{ deep: [[[null]]] }]]]]),
);

const hugeString = (max: number) => fc.integer({ min: max + 1, max: max + 64 }).map((n) => 'x'.repeat(n));

/** A value that the field's schema must refuse. */
function badValue(kind: FieldKind): fc.Arbitrary<unknown> {
  switch (kind.type) {
    case 'string': {
      const options: fc.Arbitrary<unknown>[] = [notAString];
      if (kind.max !== undefined) options.push(hugeString(kind.max));
      if (kind.min !== undefined) options.push(fc.constant(''));
      return fc.oneof(...options);
    }
    case 'enum':
      return fc.oneof(notAString, fc.string({ maxLength: 30 }).filter((s) => !kind.values.includes(s)), fc.constant(kind.values[0]!.toLowerCase()));
    case 'blob':
      return fc.oneof(
        notAString,
        invalidBase64,
        fc.constant(''),
        fc.constant(b64(new Uint8Array(kind.max + 1))),
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }), // bytes as a JSON array
      );
    case 'int':
      return fc.oneof(
        fc.string({ maxLength: 6 }),
        fc.integer({ min: kind.min, max: kind.max }).map(String), // a number in a string
        fc.double({ min: kind.min, max: kind.max, noNaN: true }).filter((n) => !Number.isInteger(n)),
        fc.constantFrom(kind.min - 1, kind.max + 1, -1e308, 1e308, 2 ** 53),
        fc.boolean(),
        fc.constant(null),
        fc.array(fc.integer(), { maxLength: 2 }),
        fc.constant({ value: kind.min }),
      );
    case 'bool':
      return fc.oneof(fc.constantFrom('true', 'false', 0, 1, null, [], {}), fc.string({ maxLength: 5 }));
    case 'context':
      return fc.oneof(
        fc.constantFrom('a=b', 42, true, null, [['a', 'b']], ['a']),
        fc.record({ a: notAString }),
        fc.record({ a: hugeString(8192) }),
        hugeString(8192).map((k) => ({ [k]: 'v' })),
      );
    case 'grants':
      return fc.oneof(
        fc.constantFrom('token', 1, null, {}, [''], [null], [1, 2]),
        fc.constant(Array.from({ length: 11 }, (_, i) => `grant-${i}`)),
        hugeString(8192).map((t) => [t]),
      );
    case 'tags':
      return fc.oneof(
        fc.constantFrom('k=v', null, {}, [null], ['k'], [{}], [{ TagKey: 'k' }], [{ TagKey: '', TagValue: 'v' }], [{ TagKey: 1, TagValue: 'v' }]),
        fc.constant(Array.from({ length: 51 }, (_, i) => ({ TagKey: `k${i}`, TagValue: 'v' }))),
        hugeString(128).map((k) => [{ TagKey: k, TagValue: 'v' }]),
      );
    case 'stringArray':
      return fc.oneof(fc.constantFrom('k', null, {}, [1], [null], ['']), hugeString(128).map((k) => [k]));
  }
}

/** A JSON object body for an operation with at least one field of the wrong type or shape. */
const malformedObjectBody = fc.constantFrom(...OPERATIONS).chain((operation) => {
  const fields = OPERATION_FIELDS[operation]!;
  const names = Object.keys(fields);
  return fc
    .tuple(
      fc.subarray(names, { minLength: 1 }),
      fc.subarray(names), // other fields present with valid values
    )
    .chain(([broken, present]) =>
      fc.tuple(fc.constant(operation), fc.tuple(...broken.map((name) => badValue(fields[name]!.kind).map((v) => [name, v] as const))), fc.constant(present)),
    )
    .map(([op, badEntries, present]) => {
      const body: Record<string, unknown> = {};
      for (const name of present) body[name] = fields[name]!.valid();
      for (const [name, value] of badEntries) body[name] = value;
      return { operation: op, raw: JSON.stringify(body) };
    });
});

/** Text that is not one JSON object (nor empty, which means `{}`). */
const notAnObject = fc
  .oneof(
    fc.string({ maxLength: 200, unit: 'binary' }),
    fc.string({ maxLength: 200 }),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc.json({ maxDepth: 3 }).map((text) => text.slice(0, -1)), // cut short
    fc.json({ maxDepth: 3 }).map((text) => `${text}}`), // trailing garbage
    fc.constantFrom('{', '}', '{"KeyId":}', "{'KeyId': 'x'}", '{"KeyId": "a",}', '[]', 'null', '0', '"{}"', 'NaN', '{"a":1}{"b":2}', '/* */ {}', '{"KeyId": "\\x41"}'),
  )
  .filter((text) => {
    if (text.trim() === '') return false;
    try {
      const value: unknown = JSON.parse(text);
      return typeof value !== 'object' || value === null || Array.isArray(value);
    } catch {
      return true;
    }
  });

describe('fuzz: malformed request bodies are refused as typed client errors', () => {
  const FORMAT_ERRORS = ['SerializationException', 'ValidationException'];

  it('text that is not a JSON object, at any operation', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...OPERATIONS), notAnObject, async (operation, raw) => {
        const response = await call(operation, undefined, { raw });
        expectTypedError(response, FORMAT_ERRORS, `${operation} with body ${JSON.stringify(raw).slice(0, 300)}`);
      }),
      settings(),
    );
  });

  it('JSON objects with fields of the wrong type, bad base64 or out-of-range values', async () => {
    await fc.assert(
      fc.asyncProperty(malformedObjectBody, async ({ operation, raw }) => {
        const response = await call(operation, undefined, { raw });
        expectTypedError(response, FORMAT_ERRORS, `${operation} with body ${raw.slice(0, 500)}`);
      }),
      settings(300),
    );
  });

  it('a body over the size limit', async () => {
    const big = JSON.stringify({ KeyId: NO_SUCH_KEY, Plaintext: b64(new Uint8Array(200_000)) });
    for (const operation of ['Encrypt', 'CreateKey', 'Decrypt']) {
      const response = await kms(operation, undefined, { raw: big });
      expectTypedError(response, FORMAT_ERRORS, `${operation} with a ${big.length}-character body`);
    }
  });
});
