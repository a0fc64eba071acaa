import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { demo, demoToken, expectRefused, randomBytes } from './demo-helpers';
import { ADMIN_TOKEN, b64, concat, mintToken, sha } from './helpers';

/** The demo storage (docs/api.md, "Demo endpoints"): only ciphertext goes in, ownership and accounts decide who may do what. */
const MiB = 1024 * 1024;
const MAX_PART = 8 * MiB;
const arn = (user: string, account = '111122223333') => `arn:aws:sts::${account}:federated-user/${user}`;

const digest = async (bytes: Uint8Array) => b64(await sha('SHA-256', bytes));

let alice: string;
let bob: string;
let mallory: string; // a user of another account, from the test identity provider

beforeAll(async () => {
  alice = await demoToken('alice');
  bob = await demoToken('bob');
  mallory = await mintToken({ sub: 'mallory', account: '999999999999', groups: ['kms-admin'] });
});

const putFields = (id: string, body: Uint8Array, token = alice) => demo(`/uploads/${id}/fields`, { method: 'PUT', token, body });
const putPart = (id: string, part: number | string, body: Uint8Array, token = alice) =>
  demo(`/uploads/${id}/parts/${part}`, { method: 'PUT', token, body });
const complete = (id: string, parts: unknown, token = alice) => demo(`/uploads/${id}/complete`, { method: 'POST', token, body: { parts } });
const list = async (token = alice) => {
  const response = await demo('/uploads', { token });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.uploads as Array<Record<string, any>>;
};

/** An upload with fields and parts, completed unless told otherwise. */
async function upload(parts: Uint8Array[], { token = alice, completed = true } = {}) {
  const id = crypto.randomUUID();
  const fields = randomBytes(100);
  expect((await putFields(id, fields, token)).status).toBe(201);
  for (const [index, part] of parts.entries()) expect((await putPart(id, index, part, token)).status).toBe(200);
  if (completed) expect((await complete(id, parts.length, token)).status).toBe(200);
  return { id, fields, file: concat(...parts) };
}

describe('a full upload', () => {
  it('round-trips the fields and the parts, in order, with the right lengths', async () => {
    const id = crypto.randomUUID();
    const fields = randomBytes(3000);
    const parts = [randomBytes(MAX_PART), randomBytes(1), randomBytes(123_457), randomBytes(0)];

    const stored = await putFields(id, fields);
    expect(stored.status).toBe(201);
    expect(stored.headers.get('content-type')).toMatch(/^application\/json/);
    expect(stored.body).toEqual({ id });

    // Out of order, and part 2 first with other bytes: a re-PUT before completion replaces it.
    expect((await putPart(id, 2, randomBytes(10))).body).toEqual({ id, part: 2, bytes: 10 });
    for (const index of [3, 2, 0, 1]) {
      const response = await putPart(id, index, parts[index]!);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ id, part: index, bytes: parts[index]!.length });
    }

    const before = Date.now();
    const completed = await complete(id, 4);
    expect(completed.status, JSON.stringify(completed.body)).toBe(200);
    const fileBytes = parts.reduce((sum, part) => sum + part.length, 0);
    expect(completed.body).toEqual({ id, owner: arn('alice'), createdAt: expect.any(String), parts: 4, fileBytes, fieldsBytes: 3000 });
    expect(Date.parse(completed.body.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(new Date(completed.body.createdAt).toISOString()).toBe(completed.body.createdAt);

    const listed = await list();
    expect(listed).toContainEqual(completed.body);

    const gotFields = await demo(`/uploads/${id}/fields`, { token: alice });
    expect(gotFields.status).toBe(200);
    expect(gotFields.headers.get('content-type')).toBe('application/octet-stream');
    expect(gotFields.bytes).toEqual(fields);

    const file = await demo(`/uploads/${id}/file`, { token: alice });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/octet-stream');
    expect(file.headers.get('content-length')).toBe(String(fileBytes));
    expect(file.bytes.length).toBe(fileBytes);
    // Digests, not toEqual: a deep comparison of 8 MiB arrays alone outlasts the test timeout.
    expect(await digest(file.bytes)).toBe(await digest(concat(...parts)));
  });

  it('allows an upload without a file (parts: 0)', async () => {
    const { id, fields } = await upload([]);
    const manifest = (await list()).find((entry) => entry.id === id);
    expect(manifest).toMatchObject({ parts: 0, fileBytes: 0, fieldsBytes: fields.length });
    const file = await demo(`/uploads/${id}/file`, { token: alice });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-length')).toBe('0');
    expect(file.bytes.length).toBe(0);
  });

  it('lists newest first, and every user of the account sees every upload', async () => {
    const first = await upload([randomBytes(5)]);
    const second = await upload([randomBytes(5)], { token: bob });
    for (const token of [alice, bob, ADMIN_TOKEN]) {
      const ids = (await list(token)).map((entry) => entry.id);
      expect(ids.indexOf(second.id)).toBeGreaterThanOrEqual(0);
      expect(ids.indexOf(second.id)).toBeLessThan(ids.indexOf(first.id));
    }
    const createdAts = (await list()).map((entry) => entry.createdAt as string);
    expect([...createdAts].sort().reverse()).toEqual(createdAts);
    // Bob reads alice's ciphertext; her key policy, not the storage, keeps him from its plaintext.
    expect((await demo(`/uploads/${first.id}/file`, { token: bob })).bytes).toEqual(first.file);
  });

  it('deletes every object of an upload, complete or not', async () => {
    const done = await upload([randomBytes(10), randomBytes(10)]);
    const pending = await upload([randomBytes(10)], { completed: false });
    for (const { id } of [done, pending]) {
      const response = await demo(`/uploads/${id}`, { method: 'DELETE', token: alice });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ id, deleted: true });
      const left = await env.UPLOADS!.list({ prefix: `uploads/${id}/` });
      expect(left.objects).toEqual([]);
      expectRefused(await demo(`/uploads/${id}/file`, { token: alice }), 'NotFoundException', 404);
      expectRefused(await demo(`/uploads/${id}`, { method: 'DELETE', token: alice }), 'NotFoundException', 404);
    }
    expect((await list()).map((entry) => entry.id)).not.toContain(done.id);
    // The id is free again.
    expect((await putFields(done.id, randomBytes(1))).status).toBe(201);
  });
});

describe('who may do what', () => {
  it('only the owner adds parts, completes or deletes (403 for others)', async () => {
    const { id } = await upload([randomBytes(10)], { completed: false });
    for (const token of [bob, mallory, ADMIN_TOKEN]) {
      expectRefused(await putPart(id, 1, randomBytes(10), token), 'AccessDeniedException', 403);
      expectRefused(await complete(id, 1, token), 'AccessDeniedException', 403);
      expectRefused(await demo(`/uploads/${id}`, { method: 'DELETE', token }), 'AccessDeniedException', 403);
    }
    // None of that changed anything: the upload completes with its one part, as alice.
    expect((await complete(id, 1)).body).toMatchObject({ id, owner: arn('alice'), parts: 1, fileBytes: 10 });
    expectRefused(await demo(`/uploads/${id}`, { method: 'DELETE', token: bob }), 'AccessDeniedException', 403);
    expect((await list()).map((entry) => entry.id)).toContain(id);
  });

  it('incomplete uploads are neither listed nor downloadable, even by the owner', async () => {
    const { id } = await upload([randomBytes(10)], { completed: false });
    expect((await list()).map((entry) => entry.id)).not.toContain(id);
    for (const what of ['fields', 'file']) expectRefused(await demo(`/uploads/${id}/${what}`, { token: alice }), 'NotFoundException', 404);
  });

  it('another account sees none of this account\'s uploads', async () => {
    const { id } = await upload([randomBytes(10)]);
    const theirs = await upload([randomBytes(7)], { token: mallory });
    const listed = await list(mallory);
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((entry) => entry.owner.startsWith('arn:aws:sts::999999999999:'))).toBe(true);
    expect(listed.map((entry) => entry.id)).toContain(theirs.id);
    expect(listed.map((entry) => entry.id)).not.toContain(id);
    expect((await list(alice)).map((entry) => entry.id)).not.toContain(theirs.id);
    for (const what of ['fields', 'file']) {
      expectRefused(await demo(`/uploads/${id}/${what}`, { token: mallory }), 'NotFoundException', 404);
      expectRefused(await demo(`/uploads/${theirs.id}/${what}`, { token: alice }), 'NotFoundException', 404);
    }
  });

  it('refuses unauthenticated callers with 401 on every storage route', async () => {
    const { id } = await upload([randomBytes(10)]);
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/uploads'],
      ['PUT', `/uploads/${crypto.randomUUID()}/fields`, 'x'],
      ['PUT', `/uploads/${id}/parts/0`, 'x'],
      ['POST', `/uploads/${id}/complete`, { parts: 1 }],
      ['GET', `/uploads/${id}/fields`],
      ['GET', `/uploads/${id}/file`],
      ['DELETE', `/uploads/${id}`],
    ];
    for (const [method, path, body] of routes) {
      for (const token of [null, 'forged', `${alice}x`]) {
        const response = await demo(path, { method, token, body: body as any });
        expect(response.status, `${method} ${path} with ${token}`).toBe(401);
        expect(['UnauthenticatedException', 'InvalidTokenException']).toContain(response.body.__type);
      }
    }
    expect((await demo(`/uploads/${id}/file`, { token: alice })).status).toBe(200);
  });
});

describe('completion', () => {
  it('fails when a part is missing or a part lies beyond the count', async () => {
    const gap = await upload([randomBytes(3), randomBytes(3), randomBytes(3)], { completed: false });
    await demo(`/uploads/${gap.id}`, { method: 'DELETE', token: alice }); // removes it all; start again with a gap
    const { id } = await upload([], { completed: false });
    await putPart(id, 0, randomBytes(3));
    await putPart(id, 2, randomBytes(3));
    const missing = await complete(id, 3);
    expectRefused(missing, 'ValidationException', 400);
    expect(missing.body.message).toContain('part 1');
    expectRefused(await complete(id, 1), 'ValidationException', 400); // part 2 lies beyond
    expectRefused(await complete(id, 0), 'ValidationException', 400);
    await putPart(id, 1, randomBytes(3));
    expect((await complete(id, 3)).body).toMatchObject({ parts: 3, fileBytes: 9 });
  });

  it('happens once; afterwards parts are refused and the file stays as completed', async () => {
    const { id, file } = await upload([randomBytes(4), randomBytes(4)]);
    const again = await complete(id, 2);
    expectRefused(again, 'KMSInvalidStateException', 409);
    expect(again.body.message).toContain('already complete');
    expectRefused(await putPart(id, 1, randomBytes(4)), 'KMSInvalidStateException', 409);
    expectRefused(await putPart(id, 2, randomBytes(4)), 'KMSInvalidStateException', 409);
    expect((await demo(`/uploads/${id}/file`, { token: alice })).bytes).toEqual(file);
  });

  it('a part replaced behind the service\'s back breaks the download rather than changing the file', async () => {
    const { id } = await upload([randomBytes(16), randomBytes(16)]);
    await env.UPLOADS!.put(`uploads/${id}/parts/00001`, randomBytes(16));
    const response = await demo(`/uploads/${id}/file`, { token: alice }).catch((error: unknown) => error);
    // Either the body fails while streaming or it is cut short; it never carries the swapped bytes.
    if (!(response instanceof Error)) expect((response as { bytes: Uint8Array }).bytes.length).toBeLessThan(32);
  });

  it('fields replaced under a completed upload are refused, never served (review fix)', async () => {
    // An owner's delete racing their own completion can leave a manifest whose fields are gone;
    // anyone may then store fields under the freed id. The manifest records the fields' ETag.
    const { id, fields } = await upload([randomBytes(8)]);
    expect((await demo(`/uploads/${id}/fields`, { token: alice })).bytes).toEqual(fields);
    await env.UPLOADS!.delete(`uploads/${id}/fields`);
    const planted = randomBytes(fields.length);
    await env.UPLOADS!.put(`uploads/${id}/fields`, planted, { customMetadata: { owner: arn('bob'), account: '111122223333' } });
    for (const token of [alice, bob]) {
      const response = await demo(`/uploads/${id}/fields`, { token });
      expectRefused(response, 'NotFoundException', 404);
      expect(response.body.message).toContain('replaced');
    }
  });

  it('refuses a bad parts count', async () => {
    const { id } = await upload([randomBytes(1)], { completed: false });
    for (const parts of [-1, 1.5, '1', null, 10_001, undefined]) expectRefused(await complete(id, parts), 'ValidationException', 400);
  });
});

describe('bad input', () => {
  it('refuses ids that are not lowercase UUIDs and part numbers out of range, with 400', async () => {
    const id = crypto.randomUUID();
    expect((await putFields(id, randomBytes(1))).status).toBe(201);
    for (const bad of [id.toUpperCase(), 'x', id.replaceAll('-', ''), `${id}0`, `${id.slice(0, -1)}g`, `${id}%00`]) {
      expectRefused(await putFields(bad, randomBytes(1)), 'ValidationException', 400);
      expectRefused(await putPart(bad, 0, randomBytes(1)), 'ValidationException', 400);
      expectRefused(await demo(`/uploads/${bad}/file`, { token: alice }), 'ValidationException', 400);
      expectRefused(await demo(`/uploads/${bad}`, { method: 'DELETE', token: alice }), 'ValidationException', 400);
    }
    for (const part of ['-1', '10000', '01', '1.0', 'x', '1e3', ' 1']) {
      expectRefused(await putPart(id, part, randomBytes(1)), 'ValidationException', 400);
    }
    expect((await putPart(id, 9999, randomBytes(1))).status).toBe(200);
  });

  it('refuses a taken id with 409, whoever asks', async () => {
    const { id } = await upload([], { completed: false });
    for (const token of [alice, bob]) expectRefused(await putFields(id, randomBytes(1), token), 'AlreadyExistsException', 409);
  });

  it('refuses an oversized part or fields with 400, by declared length and by bytes read', async () => {
    const { id } = await upload([], { completed: false });
    expectRefused(await putPart(id, 0, randomBytes(MAX_PART + 1)), 'ValidationException', 400);
    expectRefused(await putFields(crypto.randomUUID(), randomBytes(MiB + 1)), 'ValidationException', 400);
    // A chunked body declares no length: the bytes are counted as they arrive.
    const chunked = (length: number) =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let sent = 0; sent < length; sent += MiB) controller.enqueue(new Uint8Array(Math.min(MiB, length - sent)));
          controller.close();
        },
      });
    const streamed = await demo(`/uploads/${id}/parts/0`, { method: 'PUT', token: alice, body: chunked(MAX_PART + 1), env: {} });
    expectRefused(streamed, 'ValidationException', 400);
    // A declared length that undersells the body is no way around the limit either.
    const lying = await demo(`/uploads/${id}/parts/0`, { method: 'PUT', token: alice, body: chunked(MAX_PART + MiB), headers: { 'content-length': '10' }, env: {} });
    expect(lying.status).toBe(400);
    // Nothing was stored.
    expect(await env.UPLOADS!.head(`uploads/${id}/parts/00000`)).toBeNull();
    expect((await putPart(id, 0, randomBytes(MAX_PART))).status).toBe(200);
  });

  it('refuses a streamed part whose body is not the length it declares with 400, storing nothing', async () => {
    // A declared length streams the body into storage (worker/wire/streamed-body.ts); the stream
    // is held to it either way. In-process, since over HTTP the runtime itself enforces it.
    const { id } = await upload([], { completed: false });
    const body = (length: number) => new ReadableStream<Uint8Array>({ start: (controller) => (controller.enqueue(new Uint8Array(length)), controller.close()) });
    for (const [declared, sent] of [[1000, 10], [10, 1000], [MiB, 0]] as const) {
      const response = await demo(`/uploads/${id}/parts/0`, { method: 'PUT', token: alice, body: body(sent), headers: { 'content-length': String(declared) }, env: {} });
      expectRefused(response, 'ValidationException', 400);
      expect(response.body.message).toContain(`${declared} bytes its Content-Length declares`);
    }
    expect(await env.UPLOADS!.head(`uploads/${id}/parts/00000`)).toBeNull();
  });

  it('refuses a part from someone who may not write it before reading its body (review fix)', async () => {
    // A body that counts what is pulled from it: a refused caller must cost no buffering.
    const counted = () => {
      let pulled = 0;
      const body = new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            pulled += MiB;
            controller.enqueue(new Uint8Array(MiB));
            if (pulled > MAX_PART) controller.close();
          },
        },
        { highWaterMark: 0 },
      );
      return { body, pulled: () => pulled };
    };
    const pending = await upload([], { completed: false });
    const done = await upload([randomBytes(4)]);
    const cases: Array<[string, string, string, number]> = [
      [pending.id, bob, 'AccessDeniedException', 403],
      [pending.id, mallory, 'AccessDeniedException', 403],
      [crypto.randomUUID(), alice, 'NotFoundException', 404],
      [done.id, alice, 'KMSInvalidStateException', 409],
    ];
    for (const [id, token, errorName, status] of cases) {
      const { body, pulled } = counted();
      const response = await demo(`/uploads/${id}/parts/0`, { method: 'PUT', token, body, env: {} });
      expectRefused(response, errorName, status);
      expect(pulled(), `${errorName}: bytes read before refusing`).toBe(0);
    }
    // The owner's oversized part is still read, counted and refused for its size.
    const { body, pulled } = counted();
    expectRefused(await demo(`/uploads/${pending.id}/parts/0`, { method: 'PUT', token: alice, body, env: {} }), 'ValidationException', 400);
    expect(pulled()).toBeGreaterThan(MAX_PART);
  });

  it('names a missing storage binding', async () => {
    const response = await demo('/uploads', { token: alice, env: { UPLOADS: undefined } });
    expect(response.body.__type).toBe('KMSInternalException');
    expect(response.body.message).toContain('UPLOADS');
  });
});

describe('listing', () => {
  it('pages through more than R2 returns in one list call', async () => {
    // Written straight to R2 under an account of their own, as completion would write them.
    const account = '444455556666';
    const owner = arn('carol', account);
    const ids: string[] = [];
    for (let batch = 0; batch < 11; batch++) {
      await Promise.all(
        Array.from({ length: 100 }, async (_, index) => {
          const id = crypto.randomUUID();
          ids.push(id);
          const createdAt = new Date(Date.UTC(2026, 0, 1) + (batch * 100 + index) * 1000).toISOString();
          await env.UPLOADS!.put(`manifests/${account}/${id}`, JSON.stringify({ partEtags: [] }), {
            customMetadata: { id, owner, createdAt, parts: '0', fileBytes: '0', fieldsBytes: '1' },
          });
        }),
      );
    }
    const listed = await list(await mintToken({ sub: 'carol', account }));
    expect(listed.length).toBe(1100);
    expect(new Set(listed.map((entry) => entry.id))).toEqual(new Set(ids));
    expect(listed[0]!.createdAt).toBe(new Date(Date.UTC(2026, 0, 1) + 1099 * 1000).toISOString());
    expect(listed.at(-1)!.createdAt).toBe(new Date(Date.UTC(2026, 0, 1)).toISOString());
    expect(listed[0]).toEqual({ id: expect.any(String), owner, createdAt: expect.any(String), parts: 0, fileBytes: 0, fieldsBytes: 1 });
  });
});
