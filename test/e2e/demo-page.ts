/** The demo page's controls, by what a person sees (roles, labels, visible text) where possible. */
import type { Page } from 'playwright-core';

export const DEMO_TIMEOUT = 60_000;

export async function signIn(page: Page, user: 'alice' | 'bob'): Promise<void> {
  if ((await page.locator('body').getAttribute('data-user')) !== null) await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('body[data-ready="true"]').waitFor();
  await page.getByTestId(`sign-in-${user}`).click();
  await page.locator(`body[data-user="${user}"]`).waitFor();
  await page.getByTestId('key-state').waitFor();
}

/** Creates the user's key unless there is one; returns its ARN. */
export async function ensureKey(page: Page): Promise<string> {
  if ((await page.getByTestId('key-state').textContent())?.startsWith('None')) {
    await page.getByRole('button', { name: 'Create key' }).click();
  }
  await page.getByTestId('key-arn').or(page.getByRole('alert')).first().waitFor();
  if (await page.getByRole('alert').isVisible()) throw new Error(`creating the key failed: ${await page.getByRole('alert').textContent()}`);
  return (await page.getByTestId('key-arn').textContent())!;
}

export async function keyState(page: Page): Promise<string> {
  return (await page.getByTestId('key-state').textContent()) ?? '';
}

/** Fills and submits the upload form; returns the upload id once it is stored. */
export async function submitUpload(
  page: Page,
  fields: { title: string; message: string },
  file: { name: string; mimeType: string; buffer: Buffer } | string,
): Promise<string> {
  await page.getByLabel('Title').fill(fields.title);
  await page.getByLabel('Message').fill(fields.message);
  await page.getByLabel('File').setInputFiles(file);
  await page.getByRole('button', { name: 'Encrypt and upload' }).click();
  const status = page.locator('#upload-status[data-upload-id]');
  await status.or(page.getByRole('alert')).first().waitFor({ timeout: DEMO_TIMEOUT * 3 });
  if (await page.getByRole('alert').isVisible()) throw new Error(`the upload failed: ${await page.getByRole('alert').textContent()}`);
  return (await status.getAttribute('data-upload-id'))!;
}

/** Opens an upload (download and decrypt in the page); resolves once it is shown or refused. */
export async function openUpload(page: Page, uploadId: string): Promise<{ title?: string; sha256?: string; alert?: string }> {
  await page.locator('#uploads-refresh').click();
  await page.getByTestId(`open-${uploadId}`).click();
  const shown = page.getByTestId('opened-sha256').or(page.getByRole('alert'));
  await shown.first().waitFor({ timeout: DEMO_TIMEOUT });
  if (await page.getByRole('alert').isVisible()) return { alert: (await page.getByRole('alert').textContent()) ?? '' };
  return {
    title: (await page.getByTestId('opened-title').textContent()) ?? undefined,
    sha256: (await page.getByTestId('opened-sha256').textContent()) ?? undefined,
  };
}
