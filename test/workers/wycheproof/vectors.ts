/**
 * Shared plumbing of the Wycheproof suites: the vectors come from the global
 * setup (test/setup/wycheproof.ts) through `inject`, since workerd cannot read
 * the file system. `vectorSuite` turns one vector file into one test per
 * vector plus a final test asserting how many valid / invalid / acceptable
 * vectors actually ran, so a suite cannot pass by running nothing.
 */
import { describe, expect, inject, it } from 'vitest';

export { concat, sha } from '../helpers';
import type {
  WycheproofFile,
  WycheproofFileName,
  WycheproofGroup,
  WycheproofResult,
  WycheproofTest,
} from '../../setup/wycheproof';

export type { WycheproofGroup, WycheproofTest };

export const NOT_FOUND =
  'Wycheproof vectors not found: set WYCHEPROOF_DIR or place them at ../shared/vectors/wycheproof';

const vectors = inject('wycheproof');

export function hex(text: string): Uint8Array {
  if (text.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(text)) throw new Error(`not hex: ${text.slice(0, 40)}`);
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A string field of a group or test, hex-decoded; fails loudly if the vector file changed shape. */
export function hexField(record: Record<string, unknown>, field: string): Uint8Array {
  const value = record[field];
  if (typeof value !== 'string') throw new Error(`vector field ${field} is not a string`);
  return hex(value);
}

export function describeVector(file: string, test: WycheproofTest): string {
  return `${file} tcId ${test.tcId} [${test.result}] "${test.comment}"${test.flags?.length ? ` flags=${test.flags.join(',')}` : ''}`;
}

/** Outcome of an operation that must not crash, whatever the verdict. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

export async function settle<T>(run: () => Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    return { ok: false, error };
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * For boolean verifiers: valid → true, invalid → false, acceptable → either,
 * and never an exception. Soft, so every path of a vector reports.
 */
export function expectVerdict(label: string, result: WycheproofResult, outcome: Settled<boolean>): void {
  if (!outcome.ok) {
    expect.soft(outcome.ok, `${label}: threw ${errorText(outcome.error)} instead of returning a boolean`).toBe(true);
    return;
  }
  if (result === 'valid') expect.soft(outcome.value, `${label}: a valid vector must verify`).toBe(true);
  else if (result === 'invalid') expect.soft(outcome.value, `${label}: an invalid vector must be rejected`).toBe(false);
  else expect.soft(typeof outcome.value, `${label}: an acceptable vector must yield a boolean`).toBe('boolean');
}

export interface VectorContext<G> {
  file: string;
  group: G;
  groupIndex: number;
  test: WycheproofTest;
  /** File, tcId, result, comment and flags: every assertion message starts with it. */
  label: string;
}

export interface VectorSuiteOptions<G> {
  /** A reason to skip a whole group (stated in the group's title), or undefined to run it. */
  skipGroup?: (group: G) => string | undefined;
  /** Title of a group's describe block. */
  groupTitle?: (group: G, index: number) => string;
  /** Checks on a group's parameters, run once per group before its vectors. */
  checkGroup?: (group: G, file: WycheproofFile) => void;
}

/**
 * One describe per vector file, one per group, one test per vector, then the
 * count check. Skips itself, stating why, when the vectors are not available.
 */
export function vectorSuite<G extends WycheproofGroup>(
  fileName: WycheproofFileName,
  title: string,
  run: (context: VectorContext<G>) => Promise<void>,
  options: VectorSuiteOptions<G> = {},
): void {
  const file = vectors?.files[fileName];
  const reason = !vectors ? NOT_FOUND : !file ? `Wycheproof file ${fileName} not found in ${vectors.dir}` : undefined;

  describe.skipIf(!file)(`${title} (Wycheproof ${fileName})`, () => {
    if (!file) {
      it(reason!, () => {});
      return;
    }
    const expected: Record<WycheproofResult, number> = { valid: 0, invalid: 0, acceptable: 0 };
    const ran: Record<WycheproofResult, number> = { valid: 0, invalid: 0, acceptable: 0 };
    const skipped: string[] = [];

    it('vector file is complete', () => {
      const total = file.testGroups.reduce((n, g) => n + g.tests.length, 0);
      expect(total, `${fileName}: tests in testGroups vs numberOfTests`).toBe(file.numberOfTests);
    });

    file.testGroups.forEach((rawGroup, groupIndex) => {
      const group = rawGroup as G;
      const skip = options.skipGroup?.(group);
      const groupTitle = options.groupTitle?.(group, groupIndex) ?? `group ${groupIndex}`;
      if (skip) skipped.push(`${groupTitle}: ${skip} (${group.tests.length} vectors)`);
      else for (const test of group.tests) expected[test.result]++;

      describe.skipIf(Boolean(skip))(skip ? `${groupTitle}: skipped, ${skip}` : groupTitle, () => {
        if (options.checkGroup) it('group parameters', () => options.checkGroup!(group, file));
        for (const test of group.tests) {
          const label = describeVector(fileName, test);
          it(`tcId ${test.tcId} [${test.result}] ${test.comment || '(no comment)'}`, async () => {
            ran[test.result]++;
            await run({ file: fileName, group, groupIndex, test, label });
          });
        }
      });
    });

    it('ran every vector that is not skipped, valid and invalid ones included', () => {
      const summary = `${fileName}: ran ${JSON.stringify(ran)}, expected ${JSON.stringify(expected)}${
        skipped.length ? `; skipped groups: ${skipped.join('; ')}` : ''
      }`;
      expect(ran, summary).toEqual(expected);
      expect(ran.valid, summary).toBeGreaterThan(0);
      expect(ran.invalid, summary).toBeGreaterThan(0);
      // These files (Wycheproof 0.9) hold no "acceptable" vectors; when a newer
      // file does, they must have run too (checked by toEqual above).
      if (expected.acceptable > 0) expect(ran.acceptable, summary).toBeGreaterThan(0);
    });
  });
}
