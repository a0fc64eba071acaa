/**
 * Debian's Chromium driven by playwright-core (launched as test/setup/chromium.ts says), and the
 * checks every page in the suite gets: no console error, no uncaught exception.
 */
import { mkdirSync } from 'node:fs';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { CHROMIUM_LAUNCH_OPTIONS } from '../setup/chromium';

export const SCREENSHOTS = 'test/e2e/__screenshots__';

export async function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch(CHROMIUM_LAUNCH_OPTIONS);
}

export interface WatchedPage {
  readonly page: Page;
  /** Console errors and uncaught exceptions seen so far, as text. */
  readonly problems: string[];
}

/**
 * Chromium logs every 4xx response as a console error. From the API (/v1, /demo) a 4xx is a typed
 * answer the page turns into words (a denied decrypt, a key not created yet); from anywhere else
 * (a missing script or stylesheet) it is a defect, and counts.
 */
function isApiRefusal(text: string, resourceUrl: string): boolean {
  return /^Failed to load resource: the server responded with a status of 4\d\d\b/.test(text) && /^\/(v1|demo)\//.test(new URL(resourceUrl).pathname);
}

export async function openPage(context: BrowserContext, url: string): Promise<WatchedPage> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !isApiRefusal(message.text(), message.location().url)) problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  await page.goto(url);
  return { page, problems };
}
