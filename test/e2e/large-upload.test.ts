/**
 * Acceptance 2 of the demo: a 100 MiB file is encrypted and uploaded from the page with the tab's
 * memory growing by a small multiple of the part size, not by the file. Memory is read through
 * the DevTools protocol: V8's heap plus ArrayBuffer backing stores (where the file's bytes, the
 * frames and the parts in flight live), sampled while the upload runs. The throughput is
 * reported beside the figure measured before parts went up in parallel (issue 18); it is not
 * asserted, since a timed test fails on a busy machine rather than on a slow upload.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, CDPSession } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { DEFAULT_STREAM_FRAME_LENGTH } from '../../sdk/index';
import { PARALLEL_PARTS, PART_BYTES } from '../../demo/src/part-uploader';
import { SCREENSHOTS, launchChromium, openPage } from './browser';
import { ensureKey, signIn, submitUpload } from './demo-page';

const url = inject('demoUrl');
const FILE_BYTES = 100 * 1024 * 1024;
const MiB = 1024 * 1024;
/**
 * This test's figure before issue 18 (one 512 KiB part at a time), measured on the project's
 * shared 2-core machine at commit f4b1b34: 100 MiB in 64.8 s. Reported for comparison only.
 */
const SEQUENTIAL_MB_PER_S = 1.62;

let browser: Browser;
let dir: string;
let path: string;
let sha256: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgekms-e2e-file-'));
  path = join(dir, 'large.bin');
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  for (let written = 0; written < FILE_BYTES; written += MiB) {
    const chunk = randomBytes(MiB);
    hash.update(chunk);
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve) => out.end(resolve));
  sha256 = hash.digest('hex');
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});

interface HeapUsage {
  usedSize: number;
  backingStorageSize: number;
}

/** The tab's memory that the upload could grow: JS objects and ArrayBuffer contents. */
async function tabBytes(cdp: CDPSession, collectFirst: boolean): Promise<number> {
  // Twice: ArrayBuffer contents are released by a sweeper after the first collection.
  if (collectFirst) for (let i = 0; i < 2; i++) await cdp.send('HeapProfiler.collectGarbage');
  const usage = (await cdp.send('Runtime.getHeapUsage')) as unknown as HeapUsage;
  return usage.usedSize + usage.backingStorageSize;
}

it('encrypts and uploads a 100 MiB file with the tab memory growing by a few parts, not by the file', async () => {
  const context = await browser.newContext();
  const { page, problems } = await openPage(context, url);
  await signIn(page, 'bob');
  await ensureKey(page);
  const cdp = await context.newCDPSession(page);
  const baseline = await tabBytes(cdp, true);

  let done = false;
  // Two views of the same run: what the tab holds live (a collection before each sample), and
  // the peak the tab reaches when the collector runs on its own schedule (garbage included).
  const samples = { retained: [] as number[], unforced: [] as number[] };
  const sampling = (async () => {
    while (!done) {
      samples.unforced.push((await tabBytes(cdp, false)) - baseline);
      samples.retained.push((await tabBytes(cdp, true)) - baseline);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const started = performance.now();
  const uploadId = await submitUpload(page, { title: 'large file', message: '' }, path).finally(() => {
    done = true;
  });
  const seconds = (performance.now() - started) / 1000;
  await sampling;
  expect(await page.getByTestId('upload-sha256').textContent()).toBe(sha256);

  const peak = (list: number[]) => Math.max(...list);
  const report = {
    fileMiB: FILE_BYTES / MiB,
    frameKiB: DEFAULT_STREAM_FRAME_LENGTH / 1024,
    partKiB: PART_BYTES / 1024,
    parallelParts: PARALLEL_PARTS,
    samples: samples.retained.length,
    peakRetainedMiB: +(peak(samples.retained) / MiB).toFixed(2),
    peakRetainedFrames: +(peak(samples.retained) / DEFAULT_STREAM_FRAME_LENGTH).toFixed(1),
    peakUnforcedMiB: +(peak(samples.unforced) / MiB).toFixed(2),
    peakRetainedParts: +(peak(samples.retained) / PART_BYTES).toFixed(1),
    seconds: +seconds.toFixed(1),
    mbPerSecond: +(FILE_BYTES / 1e6 / seconds).toFixed(1),
    sequentialMbPerSecond: SEQUENTIAL_MB_PER_S,
    uploadId,
  };
  console.log(`100 MiB upload, tab memory growth: ${JSON.stringify(report)}`);
  await writeFile(`${SCREENSHOTS}/large-upload-memory.json`, `${JSON.stringify(report, null, 2)}\n`);

  expect(samples.retained.length).toBeGreaterThan(5); // the sampler saw the upload running
  // What the upload holds: the slice being read, the part being filled, the parts in flight and
  // the last few request bodies Chromium keeps; the bound leaves room for noise.
  expect(peak(samples.retained)).toBeLessThan((2 * PARALLEL_PARTS + 4) * PART_BYTES);
  // Even before the collector catches up, the tab holds a fraction of the file.
  expect(peak(samples.unforced)).toBeLessThan(FILE_BYTES / 4);
  expect(problems).toEqual([]);
  await context.close();
});
