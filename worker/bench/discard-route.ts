import type { Context } from 'hono';
import type { AppEnv } from '../app-env';
import { uploadsBucket } from '../demo/gate';
import { ValidationException } from '../errors';

/**
 * The upload benchmark's baseline (`npm run bench -- demo-upload`): a signed-in PUT whose body is
 * read to the end and dropped, so that the demo's part upload can be measured against the cost
 * of only receiving its bytes (HTTP, sign-in, the body's transfer), without the storage write.
 */
export async function discardBody(c: Context<AppEnv>): Promise<Response> {
  let bytes = 0;
  const reader = c.req.raw.body?.getReader();
  for (;;) {
    const chunk = await reader?.read();
    if (!chunk || chunk.done) break;
    bytes += chunk.value.byteLength;
  }
  return c.json({ bytes });
}

/**
 * The storage alone: `?bytes=N` zero bytes made in the Worker written to the demo bucket (and
 * removed again), with no request body to receive, so that the bench can tell the local R2's
 * write speed apart from the transfer's.
 */
export async function writeToStorage(c: Context<AppEnv>): Promise<Response> {
  const raw = c.req.query('bytes') ?? '';
  const bytes = Number(raw);
  if (!/^\d{1,9}$/.test(raw) || bytes > 64 * 1024 * 1024) throw new ValidationException('bytes must be an integer from 0 to 64 MiB.');
  const key = `bench/${crypto.randomUUID()}`;
  await uploadsBucket(c.env).put(key, new Uint8Array(bytes));
  await uploadsBucket(c.env).delete(key);
  return c.json({ bytes });
}
