import { Hono, type Context } from 'hono';
import type { AppEnv } from '../app-env';
import { authenticateBearer } from '../auth/authenticate';
import type { Principal } from '../auth/principal';
import { throttle } from '../auth/throttle';
import { ValidationException } from '../errors';
import { readJsonObject } from '../wire/json';
import { readBoundedBody } from '../wire/body';
import { demoModeOn, requireDemoMode, uploadsBucket } from './gate';
import { requireLoopbackHost, requireLoopbackOrigin } from './loopback';
import { MAX_FIELDS_BYTES, MAX_PART_BYTES, MAX_PARTS, parsePartNumber, parseUploadId } from './layout';
import { issueDemoToken } from './token';
import { completeUpload, deleteUpload, listUploads, openFields, openFile, putFields, putPart } from './uploads';
import { DEMO_USERS, findDemoUser } from './users';

/**
 * The demo page's server side: sign-in as a demo user and a shared store for
 * encrypted uploads (docs/api.md, "Demo endpoints"). Only the session config
 * answers with demo mode off, so the page can say how to turn it on.
 */
export const demo = new Hono<AppEnv>();

const OCTETS = { 'content-type': 'application/octet-stream' };

// With demo mode on, every demo route answers only on a loopback host (DNS rebinding: loopback.ts).
// With it off they are absent (404) or harmless (the session config), wherever they are asked.
demo.use('*', async (c, next) => {
  if (demoModeOn(c.env)) requireLoopbackHost(c.req.raw);
  await next();
});

/** Demo mode first (off means absent), then authentication, as on /v1. */
async function caller(c: Context<AppEnv>): Promise<Principal> {
  requireDemoMode(c.env);
  const principal = await authenticateBearer(c.req.header('authorization'), c.env);
  throttle(principal, c.env);
  return principal;
}

demo.get('/session-config', (c) => {
  const on = demoModeOn(c.env);
  return c.json({ demoMode: on, users: on ? DEMO_USERS : [], account: c.env.KMS_ACCOUNT_ID, region: c.env.KMS_REGION });
});

demo.post('/token', async (c) => {
  requireDemoMode(c.env);
  requireLoopbackOrigin(c.req.raw);
  const { user } = await readJsonObject(c.req.raw);
  const known = findDemoUser(user);
  if (!known) throw new ValidationException(`user must be one of: ${DEMO_USERS.map(({ name }) => name).join(', ')}.`);
  return c.json(await issueDemoToken(known, c.env));
});

demo.put('/uploads/:id/fields', async (c) => {
  const principal = await caller(c);
  const bucket = uploadsBucket(c.env);
  const id = parseUploadId(c.req.param('id'));
  const fields = await readBoundedBody(c.req.raw, MAX_FIELDS_BYTES, 'The encrypted fields');
  await putFields(bucket, id, fields, principal);
  return c.json({ id }, 201);
});

demo.put('/uploads/:id/parts/:part', async (c) => {
  const principal = await caller(c);
  const bucket = uploadsBucket(c.env);
  const id = parseUploadId(c.req.param('id'));
  const part = parsePartNumber(c.req.param('part'));
  const bytes = await putPart(bucket, id, part, () => readBoundedBody(c.req.raw, MAX_PART_BYTES, `Part ${part}`), principal);
  return c.json({ id, part, bytes });
});

demo.post('/uploads/:id/complete', async (c) => {
  const principal = await caller(c);
  const bucket = uploadsBucket(c.env);
  const id = parseUploadId(c.req.param('id'));
  const { parts } = await readJsonObject(c.req.raw);
  if (!Number.isInteger(parts) || (parts as number) < 0 || (parts as number) > MAX_PARTS) {
    throw new ValidationException(`parts must be an integer from 0 to ${MAX_PARTS}.`);
  }
  return c.json(await completeUpload(bucket, id, parts as number, principal));
});

demo.get('/uploads', async (c) => {
  const principal = await caller(c);
  return c.json({ uploads: await listUploads(uploadsBucket(c.env), principal) });
});

demo.get('/uploads/:id/fields', async (c) => {
  const principal = await caller(c);
  const bucket = uploadsBucket(c.env);
  const fields = await openFields(bucket, parseUploadId(c.req.param('id')), principal);
  return c.body(fields.body, 200, { ...OCTETS, 'content-length': String(fields.size) });
});

demo.get('/uploads/:id/file', async (c) => {
  const principal = await caller(c);
  const bucket = uploadsBucket(c.env);
  const { manifest, body } = await openFile(bucket, parseUploadId(c.req.param('id')), principal);
  return c.body(body, 200, { ...OCTETS, 'content-length': String(manifest.fileBytes) });
});

demo.delete('/uploads/:id', async (c) => {
  const principal = await caller(c);
  const bucket = uploadsBucket(c.env);
  const id = parseUploadId(c.req.param('id'));
  await deleteUpload(bucket, id, principal);
  return c.json({ id, deleted: true });
});
