/**
 * The real Worker on a loopback port, started as `npm start` starts it (scripts/local-server.mjs:
 * workerd through Miniflare, without wrangler's dev proxy), with the given plain-text bindings on
 * top of wrangler.toml's, for the suites that drive it from outside.
 * `persist` is a directory for its Durable Objects and R2 data, or false for memory only.
 */
import { startLocalServer } from '../../scripts/local-server.mjs';

export interface TestWorker {
  readonly url: string;
  dispose(): Promise<void>;
}

export async function startTestWorker(vars: Record<string, string>, persist: string | false): Promise<TestWorker> {
  return startLocalServer({ host: '127.0.0.1', port: 0, persistTo: persist || undefined, vars, logLevel: 'warn' });
}
