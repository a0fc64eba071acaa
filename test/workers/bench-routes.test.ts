import { createExecutionContext, env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { app } from '../../worker/app';

/** The upload benchmark's diagnostic routes (bench/demo-upload.mjs): off by default, signed in, bounded. */
const ADMIN = { authorization: 'Bearer test-admin-token' };
const MiB = 1024 * 1024;

async function withBenchRoutes(path: string, init: RequestInit): Promise<Response> {
  return app.fetch(new Request(`https://kms.test${path}`, init), { ...env, BENCH_ROUTES: '1' }, createExecutionContext());
}

describe('bench upload routes', () => {
  it('are absent unless BENCH_ROUTES is "1"', async () => {
    for (const path of ['/bench/discard', '/bench/storage-write?bytes=10']) {
      const response = await SELF.fetch(`https://kms.test${path}`, { method: 'PUT', headers: ADMIN, body: 'x' });
      expect(response.status, path).toBe(404);
    }
  });

  it('need a signed-in caller', async () => {
    for (const path of ['/bench/discard', '/bench/storage-write?bytes=10']) {
      expect((await withBenchRoutes(path, { method: 'PUT', body: 'x' })).status, path).toBe(401);
    }
  });

  it('discard reads the whole body and stores nothing', async () => {
    const before = (await env.UPLOADS!.list({ prefix: 'bench/' })).objects.length;
    const response = await withBenchRoutes('/bench/discard', { method: 'PUT', headers: ADMIN, body: new Uint8Array(3 * MiB + 7) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ bytes: 3 * MiB + 7 });
    expect((await env.UPLOADS!.list({ prefix: 'bench/' })).objects.length).toBe(before);
  });

  it('storage-write writes the bytes asked for, removes them again, and refuses a bad size with 400', async () => {
    const response = await withBenchRoutes(`/bench/storage-write?bytes=${2 * MiB}`, { method: 'PUT', headers: ADMIN });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ bytes: 2 * MiB });
    expect((await env.UPLOADS!.list({ prefix: 'bench/' })).objects).toEqual([]);
    for (const bytes of ['', '-1', '1.5', 'abc', String(64 * MiB + 1)]) {
      const refused = await withBenchRoutes(`/bench/storage-write?bytes=${bytes}`, { method: 'PUT', headers: ADMIN });
      expect(refused.status, bytes).toBe(400);
      expect(((await refused.json()) as { __type: string }).__type).toBe('ValidationException');
    }
  });
});
