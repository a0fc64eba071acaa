/**
 * Property: whatever bytes arrive, in whatever chunking, decryptStream either closes having
 * released exactly the original plaintext, or errors with a typed EdgeKmsError having released
 * only whole, authenticated frames of it. Never another plaintext, never a foreign error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EdgeKmsError, decryptStream, encrypt } from '../../sdk/index';
import { SUITES, expectSameBytes, randomBytes, rawKeyring } from './helpers';
import { expectWholeFramePrefix, readOutcome, through } from './stream-helpers';

const FRAME = 48;

describe.each(SUITES)('decryptStream on mutated messages, suite $label', ({ id }) => {
  it('releases the plaintext or errors with a typed error after whole frames only', async () => {
    const data = randomBytes(4 * FRAME + 11);
    const { ciphertext } = await encrypt(rawKeyring(), data, { suite: id, frameLength: FRAME, encryptionContext: { a: 'b' } });

    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 20 }) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 40 }) }),
      fc.record({ kind: fc.constant('none' as const) }),
    );

    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 200 }), fc.nat(), async (mutations, maxChunk, seed) => {
        let message = Uint8Array.from(ciphertext);
        for (const m of mutations) {
          const at = message.byteLength === 0 ? 0 : m.kind === 'none' ? 0 : m.at % message.byteLength;
          if (m.kind === 'flip' && message.byteLength > 0) message[at]! ^= m.mask;
          else if (m.kind === 'cut') message = message.slice(0, at);
          else if (m.kind === 'insert') message = Uint8Array.from([...message.subarray(0, at), ...m.bytes, ...message.subarray(at)]);
          else if (m.kind === 'delete') message = Uint8Array.from([...message.subarray(0, at), ...message.subarray(at + m.count)]);
        }
        const outcome = await readOutcome(through(message, decryptStream(rawKeyring()), { random: maxChunk }, seed + 1));
        if (outcome.error === undefined) {
          expectSameBytes(outcome.released, data);
        } else {
          expect(outcome.error).toBeInstanceOf(EdgeKmsError);
          expectWholeFramePrefix(outcome.released, data, FRAME);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('random bytes never decrypt', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 1, max: 64 }), async (bytes, chunk) => {
        const outcome = await readOutcome(through(bytes, decryptStream(rawKeyring()), chunk));
        expect(outcome.error).toBeInstanceOf(EdgeKmsError);
        expect(outcome.released.byteLength).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});
