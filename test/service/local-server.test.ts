import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker } from '../../bench/worker-process.mjs';
import { chunks, hangUp, head, LAST_CHUNK, send } from './raw-http';

/**
 * The local server that `npm start` runs, in its own process, against clients that misbehave:
 * bodies over the 256 KiB limit sent chunked (so that nothing declares their size up front), and
 * clients that hang up in the middle of a body. Each gets its answer or is dropped, and the server
 * goes on answering everyone else. Under `wrangler dev`, one such request ended the whole process.
 */
const OVERSIZED = 300_000;
const AWS_HEADERS = { 'X-Amz-Target': 'TrentService.ListKeys', 'Content-Type': 'application/x-amz-json-1.1' };
const TOO_LARGE = { __type: 'ValidationException', message: 'The request body exceeds 262144 bytes.' };
/**
 * The Worker refuses an unauthenticated caller without reading its body (it costs no reading), so
 * a client still sending may find its connection reset before it reads the 401 (about 1 in 100).
 */
const RESET = 'reset by the server' as const;
const unlessReset = <T>(request: Promise<T>) =>
  request.catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ECONNRESET' || error.code === 'EPIPE') return RESET;
    throw error;
  });

describe('the local server (npm start) outlives any client', () => {
  let server: Awaited<ReturnType<typeof startWorker>>;
  let origin: string;
  let bearer: { Authorization: string };
  beforeAll(async () => {
    server = await startWorker({ vars: { THROTTLE_RATE: '100000' } });
    origin = server.origin;
    bearer = { Authorization: `Bearer ${server.adminToken}` };
  });
  afterAll(() => server?.stop());

  const chunkedTooLarge = (target: string, headers: Record<string, string>) =>
    send(origin, [head(origin, target, { ...headers, 'Transfer-Encoding': 'chunked' }), ...chunks(OVERSIZED), LAST_CHUNK]);
  const requests = {
    awsTooLarge: () => chunkedTooLarge('/', AWS_HEADERS),
    nativeTooLarge: () => chunkedTooLarge('/v1/ListKeys', bearer),
    nativeTooLargeWithoutToken: () => unlessReset(chunkedTooLarge('/v1/ListKeys', {})),
    // Declared over the limit, refused before it is read, while the client is still sending.
    hangUpDeclaredTooLarge: () =>
      hangUp(origin, [head(origin, '/', { ...AWS_HEADERS, 'Content-Length': String(OVERSIZED) }), Buffer.alloc(50_000, 0x61)]),
    // Within the limit: the Worker is reading it when the client goes.
    hangUpWhileRead: () =>
      hangUp(origin, [head(origin, '/v1/ListKeys', { ...bearer, 'Content-Length': '200000' }), Buffer.alloc(50_000, 0x61)]),
    hangUpChunked: () => hangUp(origin, [head(origin, '/', { ...AWS_HEADERS, 'Transfer-Encoding': 'chunked' }), ...chunks(50_000)]),
  };

  /** The server's process is alive and answers an ordinary request correctly. */
  async function expectServing() {
    expect(() => process.kill(server.pid!, 0)).not.toThrow();
    const created = await fetch(`${origin}/v1/CreateKey`, { method: 'POST', headers: bearer, body: '{"Description":"after"}' });
    expect(created.status).toBe(200);
    const { KeyMetadata } = (await created.json()) as { KeyMetadata: { KeyId: string } };
    const described = await fetch(`${origin}/v1/DescribeKey`, { method: 'POST', headers: bearer, body: JSON.stringify({ KeyId: KeyMetadata.KeyId }) });
    expect(await described.json()).toMatchObject({ KeyMetadata: { KeyId: KeyMetadata.KeyId, KeyState: 'Enabled', Description: 'after' } });
  }

  it('refuses an oversized chunked body to POST / (read before authentication) with ValidationException', async () => {
    const { status, body } = await requests.awsTooLarge();
    expect(status).toBe(400);
    expect(JSON.parse(body)).toEqual(TOO_LARGE);
    await expectServing();
  });

  it('refuses an oversized chunked body to /v1/ListKeys: ValidationException with a token, 401 without', async () => {
    const withToken = await requests.nativeTooLarge();
    expect(withToken.status).toBe(400);
    expect(JSON.parse(withToken.body)).toEqual(TOO_LARGE);
    const withoutToken = await requests.nativeTooLargeWithoutToken();
    if (withoutToken !== RESET) {
      expect(withoutToken.status).toBe(401);
      expect(JSON.parse(withoutToken.body)).toMatchObject({ __type: 'UnauthenticatedException' });
    }
    await expectServing();
  });

  it('outlives clients that hang up in the middle of a body, and counts them as client errors', async () => {
    await requests.hangUpDeclaredTooLarge();
    await requests.hangUpWhileRead();
    await requests.hangUpChunked();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await expectServing();
    // A body cut short is a 400 (ValidationException), not an internal error the Worker logs.
    expect(server.logs()).not.toMatch(/unexpected error/);
  });

  it('outlives a burst of 100 of them at once, answering each client that waits', async () => {
    const kinds = Object.values(requests);
    const outcomes = await Promise.all(Array.from({ length: 100 }, (_, i) => kinds[i % kinds.length]!()));
    const waited = outcomes.filter((outcome) => outcome !== undefined);
    expect(waited).toHaveLength(51); // 17 + 17 + 17 of the three kinds that wait for an answer
    for (const answer of waited) {
      if (answer === RESET) continue;
      const { status, body } = answer;
      expect([400, 401]).toContain(status);
      expect(JSON.parse(body).__type).toBe(status === 400 ? 'ValidationException' : 'UnauthenticatedException');
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    await expectServing();
  });
});
