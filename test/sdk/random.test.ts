/**
 * The SDK's random bytes (data keys, message ids, IVs): all from getRandomValues, through the
 * pool in sdk/bytes.ts, which must never hand the same bytes out twice nor keep those it gave.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { randomBytes } from '../../sdk/bytes';
import { hex } from './helpers';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('randomBytes', () => {
  it('never gives the same bytes twice, each draw in a buffer of its own', () => {
    const seen = new Set<string>();
    // 2,000 draws of 32 bytes go through the 4 KiB pool about 16 times.
    for (let i = 0; i < 2000; i++) {
      const draw = randomBytes(i % 3 === 0 ? 12 : 32);
      expect(draw.byteOffset).toBe(0);
      expect(draw.buffer.byteLength).toBe(draw.byteLength);
      seen.add(hex(draw));
    }
    expect(seen.size).toBe(2000);
  });

  it('hands out getRandomValues output in order and zeroes it in the pool', () => {
    const fills: { pool: Uint8Array; produced: Uint8Array; atDraw: number }[] = [];
    const draws: Uint8Array[] = [];
    const original = crypto.getRandomValues.bind(crypto);
    vi.spyOn(crypto, 'getRandomValues').mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
      const pool = original(array as unknown as Uint8Array);
      fills.push({ pool, produced: pool.slice(), atDraw: draws.length });
      return array;
    });
    while (fills.length < 2) draws.push(randomBytes(32));
    // Every draw from the first refill up to the second is that fill's output, in order ...
    const [first, second] = fills as [(typeof fills)[0], (typeof fills)[0]];
    const fromFirst = draws.slice(first.atDraw, second.atDraw);
    const given = new Uint8Array(fromFirst.length * 32);
    fromFirst.forEach((draw, i) => given.set(draw, i * 32));
    expect(fromFirst.length).toBe(Math.floor(first.pool.byteLength / 32));
    expect(hex(given)).toBe(hex(first.produced.subarray(0, given.byteLength)));
    expect(hex(draws[second.atDraw]!)).toBe(hex(second.produced.subarray(0, 32)));
    // ... and the pool kept none of what it gave: those bytes are zero there now.
    expect(first.pool.subarray(0, given.byteLength).every((byte) => byte === 0)).toBe(true);
    expect(second.pool.subarray(0, 32).every((byte) => byte === 0)).toBe(true);
  });

  it('fills a large draw directly, 64 KiB per getRandomValues call', () => {
    const calls: number[] = [];
    const original = crypto.getRandomValues.bind(crypto);
    vi.spyOn(crypto, 'getRandomValues').mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
      calls.push((array as unknown as Uint8Array).byteLength);
      return original(array as unknown as Uint8Array) as unknown as T;
    });
    const draw = randomBytes(65536 + 100);
    expect(calls).toEqual([65536, 100]);
    expect(draw.some((byte) => byte !== 0)).toBe(true);
  });
});
