/**
 * Acceptance 2 of issue 18: while the demo page uploads and downloads a file, every response body
 * it receives is recorded through the DevTools protocol (Network.responseReceived,
 * Network.loadingFinished, Network.getResponseBody) and searched for the plaintext data keys,
 * which the page's test hook (demo/src/test-hooks.ts) reports, so the search knows what to look
 * for. With the SDK's recipient on (the default) no body holds any of them; with it turned off the
 * same search finds each in a GenerateDataKey or Decrypt answer, which shows that it can fail.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, openPage } from './browser';
import { ensureKey, openUpload, signIn, submitUpload } from './demo-page';

const url = inject('demoUrl');
const FILE_BYTES = 5 * 1024 * 1024 + 4321; // several parts, so the parallel part uploads are recorded too

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

interface RecordedBody {
  readonly url: string;
  readonly status: number;
  readonly body: Buffer;
}

/**
 * Every response the page receives from the moment this is called: each one's body, read once it
 * has finished loading. `finish` waits for the reads and fails if any response went unread (a
 * failed load, or a body the browser did not keep), since an unread body is an unchecked one.
 */
async function recordResponses(cdp: CDPSession): Promise<{ finish(): Promise<RecordedBody[]> }> {
  const responses = new Map<string, { url: string; status: number }>();
  const reads: Promise<RecordedBody>[] = [];
  const unread: string[] = [];
  cdp.on('Network.responseReceived', ({ requestId, response }) => {
    responses.set(requestId, { url: response.url, status: response.status });
  });
  cdp.on('Network.loadingFinished', ({ requestId }) => {
    const response = responses.get(requestId);
    if (!response) return;
    reads.push(
      cdp.send('Network.getResponseBody', { requestId }).then(
        ({ body, base64Encoded }) => ({ ...response, body: Buffer.from(body, base64Encoded ? 'base64' : 'utf8') }),
        (error: Error) => {
          unread.push(`${response.status} ${response.url}: ${error.message}`);
          return { ...response, body: Buffer.alloc(0) };
        },
      ),
    );
  });
  cdp.on('Network.loadingFailed', ({ requestId, errorText }) => {
    const response = responses.get(requestId);
    if (response) unread.push(`${response.url}: ${errorText}`);
  });
  // Buffers large enough for every part of the file: a body evicted from them could not be read.
  await cdp.send('Network.enable', { maxTotalBufferSize: 512 * 1024 * 1024, maxResourceBufferSize: 64 * 1024 * 1024 });
  return {
    async finish() {
      const bodies = await Promise.all(reads);
      expect(unread).toEqual([]);
      expect(bodies.length).toBe(responses.size);
      return bodies;
    },
  };
}

/**
 * The forms a 32-byte key could take in a body: its bytes, hex, and base64 or base64url at each of
 * the three alignments it could start at inside a longer encoded run (the characters that depend
 * on the key's bits alone, 40 or more).
 */
function encodings(keyHex: string): Buffer[] {
  const key = Buffer.from(keyHex, 'hex');
  const forms = [key, Buffer.from(keyHex), Buffer.from(keyHex.toUpperCase())];
  for (let shift = 0; shift < 3; shift++) {
    const standard = Buffer.concat([Buffer.alloc(shift), key]).toString('base64');
    const inner = standard.slice(Math.ceil((8 * shift) / 6), Math.floor((8 * (shift + key.length)) / 6));
    forms.push(Buffer.from(inner), Buffer.from(inner.replace(/\+/g, '-').replace(/\//g, '_')));
  }
  return forms;
}

function bodiesHolding(bodies: readonly RecordedBody[], keyHex: string): string[] {
  const forms = encodings(keyHex);
  return bodies.filter(({ body }) => forms.some((form) => body.includes(form))).map(({ url: where }) => new URL(where).pathname);
}

async function dataKeys(page: Page): Promise<string[]> {
  return page.evaluate(() => [...((window as unknown as { __edgekmsDataKeys?: string[] }).__edgekmsDataKeys ?? [])]);
}

/** Signs bob in on a page opened with `query`, uploads a form and a file, opens it again; every body recorded. */
async function uploadAndDownload(query: string) {
  const context = await browser.newContext();
  // Recording starts before the demo page loads: a request sent before Network.enable would have
  // no body to read.
  const { page, problems } = await openPage(context, 'about:blank');
  const cdp = await context.newCDPSession(page);
  const recorder = await recordResponses(cdp);
  await page.goto(`${url}?${query}`);
  await signIn(page, 'bob');
  await ensureKey(page);
  const file = randomBytes(FILE_BYTES);
  const sha256 = createHash('sha256').update(file).digest('hex');
  const uploadId = await submitUpload(page, { title: `data keys ${randomBytes(4).toString('hex')}`, message: 'm' }, { name: 'keys.bin', mimeType: 'application/octet-stream', buffer: file });
  const afterUpload = await page.getByTestId('data-key-transport').getAttribute('data-wrapped');
  const opened = await openUpload(page, uploadId);
  expect(opened.sha256).toBe(sha256);
  const afterDownload = await page.getByTestId('data-key-transport').getAttribute('data-wrapped');
  const transportText = await page.getByTestId('data-key-transport').textContent();
  const bodies = await recorder.finish();
  const keys = await dataKeys(page);
  await context.close();
  expect(problems).toEqual([]);
  return { bodies, keys, afterUpload, afterDownload, transportText };
}

describe('the data keys of an upload and a download, in every response body the page received', () => {
  it('are in none of them: each arrived wrapped to the tab’s key, and the page says so', async () => {
    const run = await uploadAndDownload('edgekms-test-hooks');
    const paths = run.bodies.map(({ url: where }) => new URL(where).pathname);
    // The recording saw the whole exchange: both data-key operations and the storage's bodies.
    expect(paths).toContain('/v1/GenerateDataKey');
    expect(paths).toContain('/v1/Decrypt');
    expect(paths.some((path) => /^\/demo\/uploads\/[^/]+\/file$/.test(path))).toBe(true);
    // Two messages (fields and file), each under its own data key, encrypted and then decrypted.
    const distinct = [...new Set(run.keys)];
    expect(distinct).toHaveLength(2);
    expect(run.keys).toHaveLength(4);
    for (const key of distinct) expect(bodiesHolding(run.bodies, key)).toEqual([]);
    const bytes = run.bodies.reduce((sum, { body }) => sum + body.byteLength, 0);
    console.log(`data keys searched in the page's response bodies: ${JSON.stringify({ responses: run.bodies.length, bytes, dataKeys: distinct.length, found: 0 })}`);
    for (const { url: where, body } of run.bodies.filter(({ url: where }) => /\/v1\/(GenerateDataKey|Decrypt)$/.test(where))) {
      const answer = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      expect(answer, where).not.toHaveProperty('Plaintext');
      expect(answer, where).toHaveProperty('CiphertextForRecipient');
    }
    expect([run.afterUpload, run.afterDownload]).toEqual(['true', 'true']);
    expect(run.transportText).toMatch(/wrapped to this tab's key.*no Plaintext/);
  });

  it('are found by the same search when the SDK’s recipient is off (the check can fail)', async () => {
    const run = await uploadAndDownload('edgekms-test-hooks&edgekms-test-recipient=off');
    const distinct = [...new Set(run.keys)];
    expect(distinct).toHaveLength(2);
    for (const key of distinct) {
      const holding = bodiesHolding(run.bodies, key);
      expect(holding).toContain('/v1/GenerateDataKey');
      expect(holding).toContain('/v1/Decrypt');
    }
    expect([run.afterUpload, run.afterDownload]).toEqual(['false', 'false']);
  });

  it('keeps no data key in the page without the test hook’s query flag', async () => {
    const context = await browser.newContext();
    const { page } = await openPage(context, url);
    await signIn(page, 'bob');
    await ensureKey(page);
    await submitUpload(page, { title: 'no hook', message: '' }, { name: 'x.txt', mimeType: 'text/plain', buffer: Buffer.from('x') });
    expect(await page.evaluate(() => '__edgekmsDataKeys' in window)).toBe(false);
    expect(await page.getByTestId('data-key-transport').getAttribute('data-wrapped')).toBe('true');
    await context.close();
  });
});
