/**
 * Hooks for the end-to-end suite only (test/e2e/data-keys.test.ts): with them on, the page keeps
 * a hex copy of every plaintext data key its keyrings produce in `window.__edgekmsDataKeys`, so
 * the suite can search the response bodies the page received for them (a check that can fail
 * because it knows what to look for), and `edgekms-test-recipient=off` turns the SDK's recipient
 * off to show that it does fail then.
 *
 * On only when all three hold: the Worker says demo mode is on (which it is only on a loopback
 * host, worker/demo/gate.ts, and which a deploy refuses, scripts/check-deploy.mjs), the page was
 * opened on a loopback host, and its URL has `?edgekms-test-hooks`. A deployed page therefore
 * never keeps a data key it would not keep anyway.
 */
import type { SessionConfig } from './demo-api';

export const TEST_HOOKS_PARAMETER = 'edgekms-test-hooks';
export const TEST_RECIPIENT_PARAMETER = 'edgekms-test-recipient';

interface TestHooks {
  readonly dataKeys: string[];
  readonly recipient: boolean;
}

let hooks: TestHooks | undefined;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Called once the session config is known; turns the hooks on where the three conditions hold. */
export function enableTestHooks(config: SessionConfig): void {
  const query = new URLSearchParams(location.search);
  if (!config.demoMode || !LOOPBACK_HOSTS.has(location.hostname) || !query.has(TEST_HOOKS_PARAMETER)) return;
  const dataKeys: string[] = [];
  hooks = { dataKeys, recipient: query.get(TEST_RECIPIENT_PARAMETER) !== 'off' };
  (window as unknown as { __edgekmsDataKeys: string[] }).__edgekmsDataKeys = dataKeys;
}

/** Whether the SDK names its recipient key: always, unless a test turned it off. */
export function recipientEnabled(): boolean {
  return hooks?.recipient ?? true;
}

/** Keeps a hex copy of a data key, only when the hooks are on. */
export function recordDataKey(dataKey: Uint8Array | undefined): void {
  if (!hooks || !dataKey) return;
  hooks.dataKeys.push(Array.from(dataKey, (byte) => byte.toString(16).padStart(2, '0')).join(''));
}
