import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { decrypt, decryptStream, EdgeKmsError, encrypt } from '../../sdk/index';
import { rawKeyring, SUITES } from './helpers';
import { readOutcome, through } from './stream-helpers';

/**
 * Random and mutated messages, fed to `decrypt` and `decryptStream`: each
 * either yields exactly the original plaintext or fails with a typed
 * EdgeKmsError; the stream releases nothing but whole, authentic frames.
 */
const FRAME = 64;
const context = { tenant: 'fuzz', purpose: 'property' };
const plaintext = Uint8Array.from({ length: 300 }, (_, i) => (i * 31 + 7) & 0xff);
const keyring = rawKeyring();

type Mutation =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'extend'; bytes: Uint8Array }
  | { kind: 'replace'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number }
  | { kind: 'splice'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 24 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 80 }) }),
  fc.record({ kind: fc.constant('splice' as const), at: fc.nat() }),
);

function apply(message: Uint8Array, other: Uint8Array, change: Mutation): Uint8Array {
  const at = (n: number) => n % Math.max(1, message.length);
  switch (change.kind) {
    case 'flip': {
      const copy = Uint8Array.from(message);
      copy[at(change.at)]! ^= change.mask;
      return copy;
    }
    case 'truncate':
      return message.slice(0, at(change.at));
    case 'extend':
      return Uint8Array.from([...message, ...change.bytes]);
    case 'replace': {
      const copy = Uint8Array.from(message);
      copy.set(change.bytes.subarray(0, copy.length - at(change.at)), at(change.at));
      return copy;
    }
    case 'delete':
      return Uint8Array.from([...message.subarray(0, at(change.at)), ...message.subarray(at(change.at) + change.length)]);
    case 'duplicate': {
      const start = at(change.at);
      return Uint8Array.from([...message.subarray(0, start + change.length), ...message.subarray(start)]);
    }
    case 'splice': {
      // The head of one valid message on the tail of another.
      const cut = at(change.at);
      return Uint8Array.from([...message.subarray(0, cut), ...other.subarray(Math.min(cut, other.length))]);
    }
  }
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((byte, i) => byte === b[i]);

async function checkBuffer(candidate: Uint8Array): Promise<void> {
  try {
    const result = await decrypt(keyring, candidate, { expectedContext: context });
    expect(sameBytes(result.plaintext, plaintext), 'a decrypted message must be the original plaintext').toBe(true);
  } catch (error) {
    expect(error, String(error)).toBeInstanceOf(EdgeKmsError);
  }
}

async function checkStream(candidate: Uint8Array): Promise<void> {
  const outcome = await readOutcome(through(candidate, decryptStream(keyring, { expectedContext: context }), 37));
  if (outcome.error === undefined) {
    expect(sameBytes(outcome.released, plaintext), 'a stream that closes must have released the original plaintext').toBe(true);
    return;
  }
  expect(outcome.error, String(outcome.error)).toBeInstanceOf(EdgeKmsError);
  const released = outcome.released;
  expect(released.length % FRAME === 0 || released.length === plaintext.length, 'only whole frames before an error').toBe(true);
  expect(sameBytes(released, plaintext.subarray(0, released.length)), 'released bytes are a prefix of the plaintext').toBe(true);
}

describe.each(SUITES)('fuzzing decrypt and decryptStream ($label)', ({ id }) => {
  let message: Uint8Array;
  let other: Uint8Array;
  beforeAll(async () => {
    message = (await encrypt(keyring, plaintext, { encryptionContext: context, suite: id, frameLength: FRAME })).ciphertext;
    other = (await encrypt(keyring, plaintext, { encryptionContext: context, suite: id, frameLength: FRAME })).ciphertext;
  });

  it('the unmutated message decrypts both ways', async () => {
    await checkBuffer(message);
    await checkStream(message);
    expect(sameBytes((await decrypt(keyring, message)).plaintext, plaintext)).toBe(true);
  });

  it('mutated messages: original plaintext or a typed error, never anything else', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (changes) => {
        const candidate = changes.reduce((bytes, change) => apply(bytes, other, change), message);
        await checkBuffer(candidate);
        await checkStream(candidate);
      }),
      { numRuns: 120, seed: 20261123, endOnFailure: true },
    );
  });

  it('random bytes, including bytes behind a valid message prefix', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), fc.nat({ max: 200 }), async (noise, keep) => {
        await checkBuffer(noise);
        await checkStream(noise);
        const prefixed = Uint8Array.from([...message.subarray(0, keep), ...noise]);
        await checkBuffer(prefixed);
        await checkStream(prefixed);
      }),
      { numRuns: 80, seed: 4242, endOnFailure: true },
    );
  });
});
