/**
 * The real Worker under wrangler's own dev server (workerd) on a loopback port, with the given
 * plain-text bindings on top of wrangler.toml's, for the suites that drive it from outside.
 * `persist` is a directory for its Durable Objects and R2 data, or false for memory only.
 */
import { unstable_startWorker } from 'wrangler';

export interface TestWorker {
  readonly url: string;
  dispose(): Promise<void>;
}

export async function startTestWorker(vars: Record<string, string>, persist: string | false): Promise<TestWorker> {
  const bindings = Object.fromEntries(Object.entries(vars).map(([name, value]) => [name, { type: 'plain_text' as const, value }]));
  const worker = await unstable_startWorker({
    config: 'wrangler.toml',
    bindings,
    dev: { server: { hostname: '127.0.0.1', port: 0 }, inspector: false, persist },
  } as Parameters<typeof unstable_startWorker>[0]);
  await worker.ready;
  return { url: (await worker.url).href, dispose: () => worker.dispose() };
}
