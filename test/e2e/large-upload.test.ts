/**
 * Acceptance 2 of the demo and 4 of issue 18: a 100 MiB file is encrypted and uploaded from the
 * page, then downloaded, decrypted and written to disk, with the tab's memory growing by a small
 * multiple of the part size, not by the file. Memory is read through the DevTools protocol: V8's
 * heap plus ArrayBuffer backing stores (where the file's bytes, the frames and the parts live),
 * sampled while the transfer runs. The throughput is reported beside the figure measured before
 * parts went up in parallel, and beside what the local storage alone writes in the same run (the
 * ceiling on this machine); it is not asserted, since a timed test fails on a busy machine rather
 * than on a slow upload. What is asserted: the bytes that come back are the bytes that went up,
 * and the storage holds none of them in the clear.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, openSync, readSync, closeSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { DEFAULT_STREAM_FRAME_LENGTH } from '../../sdk/index';
import { PARALLEL_PARTS, PART_BYTES } from '../../demo/src/part-uploader';
import { SCREENSHOTS, launchChromium, openPage } from './browser';
import { DEMO_TIMEOUT, ensureKey, openUpload, signIn, submitUpload } from './demo-page';
import { filesContaining, persistedFiles } from './stored-bytes';

const url = inject('demoUrl');
const stateDir = inject('demoStateDir');
const FILE_BYTES = 100 * 1024 * 1024;
const MiB = 1024 * 1024;
/**
 * This test's figure before issue 18 (one 512 KiB part at a time), measured on the project's
 * shared 2-core machine at commit f4b1b34: 100 MiB in 64.8 s. Reported for comparison only.
 */
const SEQUENTIAL_MB_PER_S = 1.62;
/** The issue's figure for the same upload path: 20 MiB in 6.4 s. */
const ISSUE_MB_PER_S = 3.3;

let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: string[];
let cdp: CDPSession;
let dir: string;
let path: string;
let sha256: string;
let uploadId: string;
const report: Record<string, unknown> = {
  fileMiB: FILE_BYTES / MiB,
  frameKiB: DEFAULT_STREAM_FRAME_LENGTH / 1024,
  partKiB: PART_BYTES / 1024,
  parallelParts: PARALLEL_PARTS,
  sequentialMbPerSecond: SEQUENTIAL_MB_PER_S,
  issueMbPerSecond: ISSUE_MB_PER_S,
};

/**
 * The File System Access API's save picker, answered without a dialog: the file the page asks
 * for is opened in the origin private file system, which Chromium backs with a real file and
 * whose handles are the same FileSystemFileHandle (createWritable) the picker returns.
 */
function savePickerToOpfs(): void {
  Object.defineProperty(window, 'showSaveFilePicker', {
    value: async ({ suggestedName }: { suggestedName: string }) => (await navigator.storage.getDirectory()).getFileHandle(suggestedName, { create: true }),
  });
}

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
  context = await browser.newContext();
  await context.addInitScript(savePickerToOpfs);
  ({ page, problems } = await openPage(context, url));
  await signIn(page, 'bob');
  await ensureKey(page);
  cdp = await context.newCDPSession(page);
});

afterAll(async () => {
  await writeFile(`${SCREENSHOTS}/large-upload-memory.json`, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`100 MiB upload and download: ${JSON.stringify(report)}`);
  await context?.close();
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});

interface HeapUsage {
  usedSize: number;
  backingStorageSize: number;
}

/** The tab's memory that a transfer could grow: JS objects and ArrayBuffer contents. */
async function tabBytes(collectFirst: boolean): Promise<number> {
  // Twice: ArrayBuffer contents are released by a sweeper after the first collection.
  if (collectFirst) for (let i = 0; i < 2; i++) await cdp.send('HeapProfiler.collectGarbage');
  const usage = (await cdp.send('Runtime.getHeapUsage')) as unknown as HeapUsage;
  return usage.usedSize + usage.backingStorageSize;
}

interface Sampled {
  seconds: number;
  /** What the tab holds live (a collection before each sample). */
  peakRetained: number;
  /** The peak when the collector runs on its own schedule (garbage included). */
  peakUnforced: number;
  samples: number;
}

/** Runs `transfer` while sampling the tab's memory growth over what it held before. */
async function sampled(transfer: () => Promise<unknown>): Promise<Sampled> {
  const baseline = await tabBytes(true);
  let done = false;
  const retained: number[] = [];
  const unforced: number[] = [];
  const sampling = (async () => {
    while (!done) {
      unforced.push((await tabBytes(false)) - baseline);
      retained.push((await tabBytes(true)) - baseline);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const started = performance.now();
  await transfer().finally(() => {
    done = true;
  });
  const seconds = (performance.now() - started) / 1000;
  await sampling;
  return { seconds, peakRetained: Math.max(...retained), peakUnforced: Math.max(...unforced), samples: retained.length };
}

const mbPerSecond = (seconds: number) => +(FILE_BYTES / 1e6 / seconds).toFixed(1);
const mib = (bytes: number) => +(bytes / MiB).toFixed(2);

/**
 * The local storage alone, in this run: parts' worth of bytes made in the Worker and written to
 * the demo bucket, as many at once as the page sends (the bench route, BENCH_ROUTES=1).
 */
async function storageAloneMbPerSecond(): Promise<number> {
  const { token } = (await (await fetch(new URL('/demo/token', url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'bob' }) })).json()) as { token: string };
  let next = 0;
  const parts = FILE_BYTES / PART_BYTES;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: PARALLEL_PARTS }, async () => {
      while (next < parts) {
        next++;
        const response = await fetch(new URL(`/bench/storage-write?bytes=${PART_BYTES}`, url), { method: 'PUT', headers: { authorization: `Bearer ${token}` } });
        expect(response.status, await response.text()).toBe(200);
      }
    }),
  );
  return mbPerSecond((performance.now() - started) / 1000);
}

/** `count` samples of 32 plaintext bytes spread over the file, read back from the file on disk. */
function plaintextSamples(count: number): Buffer[] {
  const fd = openSync(path, 'r');
  try {
    return Array.from({ length: count }, (_, index) => {
      const sample = Buffer.alloc(32);
      readSync(fd, sample, 0, 32, Math.floor((index * (FILE_BYTES - 32)) / (count - 1)));
      return sample;
    });
  } finally {
    closeSync(fd);
  }
}

it('encrypts and uploads a 100 MiB file with the tab memory growing by a few parts, not by the file', async () => {
  report.storageAloneMbPerSecond = await storageAloneMbPerSecond();
  const upload = await sampled(async () => {
    uploadId = await submitUpload(page, { title: 'large file', message: '' }, path);
  });
  expect(await page.getByTestId('upload-sha256').textContent()).toBe(sha256);
  Object.assign(report, {
    uploadSamples: upload.samples,
    uploadSeconds: +upload.seconds.toFixed(1),
    uploadMbPerSecond: mbPerSecond(upload.seconds),
    uploadVsSequential: +(mbPerSecond(upload.seconds) / SEQUENTIAL_MB_PER_S).toFixed(1),
    uploadVsStorageAlone: +(mbPerSecond(upload.seconds) / (report.storageAloneMbPerSecond as number)).toFixed(2),
    uploadPeakRetainedMiB: mib(upload.peakRetained),
    uploadPeakRetainedParts: +(upload.peakRetained / PART_BYTES).toFixed(1),
    uploadPeakUnforcedMiB: mib(upload.peakUnforced),
    uploadId,
  });

  expect(upload.samples).toBeGreaterThan(5); // the sampler saw the upload running
  // What the upload holds: the slice being read, the frames being encrypted, the one part buffer
  // (parts in flight are Blobs, outside the tab's heap); the bound leaves room for noise.
  expect(upload.peakRetained).toBeLessThan((PARALLEL_PARTS + 2) * PART_BYTES);
  // Even before the collector catches up, the tab holds a fraction of the file.
  expect(upload.peakUnforced).toBeLessThan(FILE_BYTES / 4);

  // What the storage holds is ciphertext: no sample of the file is found in any persisted byte,
  // while at least a file's worth of bytes was stored.
  const stored = persistedFiles(stateDir);
  expect(stored.reduce((sum, file) => sum + file.bytes.length, 0)).toBeGreaterThan(FILE_BYTES);
  for (const sample of plaintextSamples(16)) expect(filesContaining(stored, sample)).toEqual([]);
  expect(problems).toEqual([]);
});

it('downloads and decrypts it in the page (a Blob) and straight to disk, byte for byte, with bounded memory', async () => {
  expect(uploadId, 'the upload test ran first').toBeDefined();
  let opened: Awaited<ReturnType<typeof openUpload>> = {};
  const toBlob = await sampled(async () => {
    opened = await openUpload(page, uploadId);
  });
  expect(opened.alert).toBeUndefined();
  expect(opened.sha256).toBe(sha256);

  const toDisk = await sampled(async () => {
    await page.getByTestId('opened-save-to-disk').click();
    await page.getByTestId('opened-disk-sha256').or(page.getByRole('alert')).first().waitFor({ timeout: DEMO_TIMEOUT * 3 });
  });
  expect(await page.getByRole('alert').isVisible()).toBe(false);
  expect(await page.getByTestId('opened-disk-sha256').textContent()).toBe(sha256);
  // The file on disk, read back independently of the page's own hash.
  const onDisk = await page.evaluate(async () => {
    const file = await (await (await navigator.storage.getDirectory()).getFileHandle('large.bin')).getFile();
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
    return { size: file.size, sha256: Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('') };
  });
  expect(onDisk).toEqual({ size: FILE_BYTES, sha256 });

  Object.assign(report, {
    blobDownloadSeconds: +toBlob.seconds.toFixed(1),
    blobDownloadMbPerSecond: mbPerSecond(toBlob.seconds),
    blobDownloadPeakRetainedMiB: mib(toBlob.peakRetained),
    diskDownloadSeconds: +toDisk.seconds.toFixed(1),
    diskDownloadMbPerSecond: mbPerSecond(toDisk.seconds),
    diskDownloadPeakRetainedMiB: mib(toDisk.peakRetained),
    diskDownloadPeakUnforcedMiB: mib(toDisk.peakUnforced),
  });
  // Streaming to disk holds a few frames and the network's chunks read ahead, never the file
  // (measured: about 15 MiB, most of it the response stream's queue).
  expect(toDisk.peakRetained).toBeLessThan(FILE_BYTES / 4);
  expect(problems).toEqual([]);
});
