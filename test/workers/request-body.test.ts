import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { DRAIN_BYTES } from '../../worker/wire/body';
import { ADMIN_TOKEN } from './helpers';

/**
 * A body refused for its size while it is read is still read to its end (up to a bound) before
 * the answer goes out, not cancelled: the client, still sending, gets the answer on an intact
 * connection rather than a reset, and a dev proxy forwarding the upload sees it complete.
 * Past the bound the reading stops. (A caller refused before its body is looked at costs no
 * reading at all: test/workers/demo-uploads.test.ts.)
 */
const LIMIT = 256 * 1024;

/** `size` bytes that the Worker pulls 10,000 at a time; `read` says how many it took. */
function trackedBody(size: number) {
  const read = { bytes: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (read.bytes >= size) return controller.close();
        const length = Math.min(10_000, size - read.bytes);
        read.bytes += length;
        controller.enqueue(new Uint8Array(length).fill(0x61));
      },
      cancel() {
        read.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { body, read };
}

async function post(path: string, headers: Record<string, string>, size: number) {
  const { body, read } = trackedBody(size);
  const response = await SELF.fetch(`https://kms.test${path}`, { method: 'POST', headers, body, duplex: 'half' } as RequestInit);
  return { status: response.status, error: (await response.json()) as { __type: string; message: string }, read };
}

const AWS = { 'x-amz-target': 'TrentService.ListKeys', 'content-type': 'application/x-amz-json-1.1' };
const BEARER = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('refused request bodies', () => {
  it('reads an oversized body to its end before answering ValidationException (both protocols)', async () => {
    for (const [path, headers] of [['/', AWS], ['/v1/ListKeys', BEARER]] as const) {
      const { status, error, read } = await post(path, headers, 300_000);
      expect(status).toBe(400);
      expect(error).toEqual({ __type: 'ValidationException', message: `The request body exceeds ${LIMIT} bytes.` });
      expect(read).toEqual({ bytes: 300_000, cancelled: false });
    }
  });

  it(`stops reading about ${DRAIN_BYTES} bytes past the limit`, async () => {
    const size = LIMIT + 4 * DRAIN_BYTES;
    const { status, error, read } = await post('/', AWS, size);
    expect(status).toBe(400);
    expect(error.__type).toBe('ValidationException');
    expect(read.bytes).toBeLessThan(LIMIT + DRAIN_BYTES + 100_000);
  });
});
