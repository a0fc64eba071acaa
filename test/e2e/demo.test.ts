/**
 * The demo page end to end, in Debian's Chromium against the real Worker: sign in, encrypt a form
 * and a multi-MiB file in the page, check that storage holds only ciphertext, read it back, deny a
 * second user (demo users are no administrators: each may name only their own alias), rotate and
 * read again, and drive the no-bundler script-tag page.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SCREENSHOTS, launchChromium, openPage, type WatchedPage } from './browser';
import { ensureKey, keyState, openUpload, signIn, submitUpload } from './demo-page';
import { filesContaining, persistedFiles } from './stored-bytes';

const url = inject('demoUrl');
const stateDir = inject('demoStateDir');

const FILE_BYTES = 6 * 1024 * 1024 + 12_345; // several parts, the last one short
const file = randomBytes(FILE_BYTES);
const fileSha256 = createHash('sha256').update(file).digest('hex');
const title = `Quarterly numbers ${randomBytes(6).toString('hex')}`;
const message = `Do not forward. Marker ${randomBytes(8).toString('hex')}.`;

let browser: Browser;
let context: BrowserContext;
let demo: WatchedPage;
let uploadId: string;

beforeAll(async () => {
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  demo = await openPage(context, url);
});

afterAll(async () => {
  await browser?.close();
});

describe('the demo page', () => {
  it('signs alice in and creates her key', async () => {
    await signIn(demo.page, 'alice');
    expect(await keyState(demo.page)).toMatch(/^None yet/);
    const arn = await ensureKey(demo.page);
    expect(arn).toMatch(/^arn:aws:kms:us-east-1:111122223333:key\/[0-9a-f-]{36}$/);
    expect(await keyState(demo.page)).toBe('Enabled');
    await expect.poll(() => demo.page.locator('#key-versions tr').count()).toBe(1);
  });

  it('encrypts the form and a multi-MiB file in the page and uploads only ciphertext', async () => {
    uploadId = await submitUpload(demo.page, { title, message }, { name: 'numbers.bin', mimeType: 'application/octet-stream', buffer: file });
    expect(await demo.page.getByTestId('upload-sha256').textContent()).toBe(fileSha256);
    await demo.page.screenshot({ path: `${SCREENSHOTS}/uploaded.png`, fullPage: true });

    const stored = persistedFiles(stateDir);
    // The scan must be able to see the upload: the ciphertext the storage hands out is on disk.
    const token = await issueToken('alice');
    const ciphertext = Buffer.from(await (await fetch(`${url}demo/uploads/${uploadId}/file`, { headers: { authorization: `Bearer ${token}` } })).arrayBuffer());
    expect(ciphertext.byteLength).toBeGreaterThan(FILE_BYTES);
    expect(ciphertext.subarray(0, 3)).toEqual(Buffer.from([0x02, 0x04, 0x78])); // message format 2, suite 0x0478
    expect(filesContaining(stored, ciphertext.subarray(200_000, 200_064))).not.toEqual([]);
    // And it holds nothing of the plaintext: not the fields, not any window of the file.
    expect(filesContaining(stored, Buffer.from(title))).toEqual([]);
    expect(filesContaining(stored, Buffer.from(message))).toEqual([]);
    expect(filesContaining(stored, Buffer.from('numbers.bin'))).toEqual([]);
    for (let offset = 0; offset + 32 <= FILE_BYTES; offset += 256 * 1024) {
      expect(filesContaining(stored, file.subarray(offset, offset + 32))).toEqual([]);
    }
    expect(filesContaining(stored, file.subarray(FILE_BYTES - 32))).toEqual([]);
  });

  it('downloads and decrypts the upload in the page, byte for byte', async () => {
    const opened = await openUpload(demo.page, uploadId);
    expect(opened).toEqual({ title, sha256: fileSha256 });
    expect(await demo.page.getByTestId('opened-message').textContent()).toBe(message);
  });

  it('shows the key audit trail with a verified hash chain', async () => {
    // The page refreshes the trail after each action, and so does the button; poll until it shows.
    await demo.page.locator('#audit-refresh').click();
    await expect
      .poll(() => demo.page.locator('#audit-records td:nth-child(3)').allTextContents())
      .toEqual(expect.arrayContaining(['kms:CreateKey', 'kms:GenerateDataKey', 'kms:Decrypt']));
    expect(await demo.page.locator('#audit-chain').getAttribute('data-valid')).toBe('true');
    expect(await demo.page.locator('#audit-chain').textContent()).toMatch(/Hash chain verified/);
  });

  it('denies bob, whose name is not in the key policy, in words', async () => {
    await signIn(demo.page, 'bob');
    // Signing out closed what alice had opened: bob's session starts with none of it on screen.
    expect(await demo.page.getByTestId('opened-title').count()).toBe(0);
    expect(await demo.page.getByText(message).count()).toBe(0);
    const opened = await openUpload(demo.page, uploadId);
    expect(opened.alert).toMatch(/Access denied/);
    expect(opened.alert).toMatch(/federated-user\/bob/);
    expect(await demo.page.getByTestId('opened-title').count()).toBe(0);
    await demo.page.screenshot({ path: `${SCREENSHOTS}/bob-denied.png`, fullPage: true });
  });

  it('lets bob, who is no administrator, make his own key and alias/demo-bob, and no alias outside his name', async () => {
    // Signed in afresh (the last test left its alert on screen): the page creates bob's key and names it alias/demo-bob, as the demo role allows.
    await signIn(demo.page, 'bob');
    expect(await ensureKey(demo.page)).toMatch(/^arn:aws:kms:us-east-1:111122223333:key\/[0-9a-f-]{36}$/);
    expect(await keyState(demo.page)).toBe('Enabled');
    const [bob, alice] = await Promise.all([issueToken('bob'), issueToken('alice')]);
    const kms = async (token: string, operation: string, body: object) => {
      const response = await fetch(`${url}v1/${operation}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as { __type?: string; message?: string; KeyMetadata?: { Arn: string } } };
    };
    const own = await kms(bob, 'DescribeKey', { KeyId: 'alias/demo-bob' });
    expect(own.status).toBe(200);
    const bobsKey = own.body.KeyMetadata!.Arn;
    for (const [token, operation, AliasName] of [
      [bob, 'CreateAlias', 'alias/demo-alice'],
      [bob, 'CreateAlias', 'alias/shared'],
      [bob, 'CreateAlias', 'alias/demo-bob2'],
      [bob, 'UpdateAlias', 'alias/demo-alice'],
      [alice, 'CreateAlias', 'alias/demo-bob-too'],
      [alice, 'UpdateAlias', 'alias/demo-bob'],
    ] as const) {
      const refused = await kms(token, operation, { AliasName, TargetKeyId: bobsKey });
      expect(refused.body.__type, `${operation} ${AliasName}`).toBe('AccessDeniedException');
      expect(refused.status).toBe(403);
    }
    // Nothing account-wide either.
    for (const operation of ['ListKeys', 'ListAliases']) expect((await kms(bob, operation, {})).body.__type).toBe('AccessDeniedException');
  });

  it('rotates alice’s key and still decrypts the upload made before', async () => {
    await signIn(demo.page, 'alice');
    await demo.page.getByRole('button', { name: 'Rotate now' }).click();
    await expect.poll(() => demo.page.locator('#key-versions tr').count()).toBe(2);
    expect(await openUpload(demo.page, uploadId)).toEqual({ title, sha256: fileSha256 });
    // A new upload after the rotation uses the new version, and reads back too.
    const after = await submitUpload(demo.page, { title: 'after rotation', message: '' }, { name: 'small.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    expect(await openUpload(demo.page, after)).toEqual({ title: 'after rotation', sha256: createHash('sha256').update('hello').digest('hex') });
    await demo.page.locator('#audit-refresh').click();
    await expect.poll(() => demo.page.locator('#audit-records td:nth-child(5)').allTextContents()).toEqual(expect.arrayContaining(['1', '2']));
    expect(await demo.page.locator('#audit-chain').getAttribute('data-valid')).toBe('true');
  });

  it('says in words that a disabled key cannot decrypt, and works again once enabled', async () => {
    await demo.page.getByRole('button', { name: 'Disable' }).click();
    await expect.poll(() => keyState(demo.page)).toBe('Disabled');
    expect((await openUpload(demo.page, uploadId)).alert).toMatch(/key is disabled/);
    await demo.page.getByRole('button', { name: 'Enable' }).click();
    await expect.poll(() => keyState(demo.page)).toBe('Enabled');
    expect(await openUpload(demo.page, uploadId)).toEqual({ title, sha256: fileSha256 });
    await demo.page.screenshot({ path: `${SCREENSHOTS}/demo.png`, fullPage: true });
    // docs/demo.png (the README's picture) is a copy of this one.
    await demo.page.screenshot({ path: `${SCREENSHOTS}/readme.png`, fullPage: true, clip: { x: 0, y: 0, width: 1100, height: 1750 } });
  });

  it('stops a running upload when its user signs out, and shows the next user nothing of it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgekms-e2e-signout-'));
    const path = join(dir, 'interrupted.bin');
    await writeFile(path, randomBytes(48 * 1024 * 1024));
    try {
      await signIn(demo.page, 'alice');
      await demo.page.locator('#uploads tr[data-upload-id]').first().waitFor();
      const listed = await demo.page.locator('#uploads tr[data-upload-id]').count();
      await demo.page.getByLabel('Title').fill('interrupted upload');
      await demo.page.getByLabel('File').setInputFiles(path);
      await demo.page.getByRole('button', { name: 'Encrypt and upload' }).click();
      await demo.page.locator('#upload-status', { hasText: 'Encrypting and uploading' }).waitFor();
      await signIn(demo.page, 'bob');
      await demo.page.waitForTimeout(1000); // time for anything the old upload would still do
      expect(await demo.page.getByRole('alert').isVisible()).toBe(false);
      expect(await demo.page.locator('#upload-status').textContent()).toBe('');
      expect(await demo.page.getByLabel('Title').inputValue()).toBe('');
      await demo.page.locator('#uploads-refresh').click();
      await expect.poll(() => demo.page.locator('#uploads tr[data-upload-id]').count()).toBe(listed);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says in words that the sign-in has expired', async () => {
    const later = await browser.newContext();
    await later.clock.install();
    const page = await openPage(later, url);
    await signIn(page.page, 'alice');
    await page.page.clock.fastForward('16:00'); // demo tokens last 15 minutes
    await page.page.locator('#uploads-refresh').click();
    await expect.poll(() => page.page.getByRole('alert').textContent()).toMatch(/sign-in has expired.*Sign in again/);
    expect(page.problems).toEqual([]);
    await later.close();
  });

  it('fits a phone-width screen', async () => {
    const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    const small = await openPage(phone, url);
    await signIn(small.page, 'alice');
    await small.page.locator('#uploads tr[data-upload-id]').first().waitFor();
    const overflow = await small.page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await small.page.screenshot({ path: `${SCREENSHOTS}/phone.png`, fullPage: true });
    expect(small.problems).toEqual([]);
    await phone.close();
  });

  it('encrypts and decrypts a textarea from script-tag.html, with the IIFE build and no bundler', async () => {
    const plain = await openPage(context, `${url}script-tag.html`);
    expect(await plain.page.evaluate('typeof EdgeKMS.encrypt')).toBe('function');
    await plain.page.getByLabel('User').selectOption('alice');
    await plain.page.getByLabel('Text').fill('sent from a script tag');
    await plain.page.getByRole('button', { name: 'Encrypt', exact: true }).click();
    await plain.page.locator('#ciphertext', { hasText: 'bytes of ciphertext' }).waitFor();
    await plain.page.getByRole('button', { name: 'Decrypt' }).click();
    await plain.page.locator('#plaintext', { hasText: 'Decrypted: sent from a script tag' }).waitFor();
    await plain.page.screenshot({ path: `${SCREENSHOTS}/script-tag.png`, fullPage: true });
    expect(plain.problems).toEqual([]);
  });

  it('logged no console error and threw nothing', () => {
    expect(demo.problems).toEqual([]);
  });
});

async function issueToken(user: string): Promise<string> {
  const response = await fetch(`${url}demo/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user }) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
}
