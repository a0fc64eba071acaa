import { Hono, type MiddlewareHandler } from 'hono';
import { every } from 'hono/combine';
import type { AppEnv } from '../app-env';
import { ValidationException } from '../errors';
import { bearerSignIn } from '../middleware/sign-in';
import { rateLimit } from '../middleware/throttling';
import { readJsonObject } from '../wire/json';
import { readBoundedBody } from '../wire/body';
import { streamedBody } from '../wire/streamed-body';
import { demoModeOn, requireDemoMode, uploadsBucket } from './gate';
import { requireLoopbackHost, requireLoopbackOrigin } from './loopback';
import { MAX_FIELDS_BYTES, MAX_PART_BYTES, MAX_PARTS, parsePartNumber, parseUploadId } from './layout';
import { installDemoRolePolicy } from './role-policy';
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

const demoModeRequired: MiddlewareHandler<AppEnv> = async (c, next) => {
  requireDemoMode(c.env);
  await next();
};

/**
 * Demo mode first (off means absent), then sign-in and throttling, as on /v1
 * (no audit: the demo store is no KMS operation). Per route rather than for
 * the whole path, so that a method no route takes is still "No such route".
 */
const signedIn: MiddlewareHandler<AppEnv> = every(demoModeRequired, bearerSignIn, rateLimit);

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
  const token = await issueDemoToken(known, c.env);
  // The token means only what the demo role's policy says: it must be in place before the page uses it.
  await installDemoRolePolicy(c.env);
  return c.json(token);
});

demo.put('/uploads/:id/fields', signedIn, async (c) => {
  const principal = c.var.principal;
  const bucket = uploadsBucket(c.env);
  const id = parseUploadId(c.req.param('id'));
  const fields = await readBoundedBody(c.req.raw, MAX_FIELDS_BYTES, 'The encrypted fields');
  await putFields(bucket, id, fields, principal);
  return c.json({ id }, 201);
});

demo.put('/uploads/:id/parts/:part', signedIn, async (c) => {
  const principal = c.var.principal;
  const bucket = uploadsBucket(c.env);
  const id = parseUploadId(c.req.param('id'));
  const part = parsePartNumber(c.req.param('part'));
  const what = `Part ${part}`;
  const openBody = () => streamedBody(c.req.raw, MAX_PART_BYTES, what) ?? readBoundedBody(c.req.raw, MAX_PART_BYTES, what);
  const bytes = await putPart(bucket, id, part, openBody, principal);
  return c.json({ id, part, bytes });
});

demo.post('/uploads/:id/complete', signedIn, async (c) => {
  const principal = c.var.principal;
  const bucket = uploadsBucket(c.env);
  const id = parseUploadId(c.req.param('id'));
  const { parts } = await readJsonObject(c.req.raw);
  if (!Number.isInteger(parts) || (parts as number) < 0 || (parts as number) > MAX_PARTS) {
    throw new ValidationException(`parts must be an integer from 0 to ${MAX_PARTS}.`);
  }
  return c.json(await completeUpload(bucket, id, parts as number, principal));
});

demo.get('/uploads', signedIn, async (c) => {
  const principal = c.var.principal;
  return c.json({ uploads: await listUploads(uploadsBucket(c.env), principal) });
});

demo.get('/uploads/:id/fields', signedIn, async (c) => {
  const principal = c.var.principal;
  const bucket = uploadsBucket(c.env);
  const fields = await openFields(bucket, parseUploadId(c.req.param('id')), principal);
  return c.body(fields.body, 200, { ...OCTETS, 'content-length': String(fields.size) });
});

demo.get('/uploads/:id/file', signedIn, async (c) => {
  const principal = c.var.principal;
  const bucket = uploadsBucket(c.env);
  const { manifest, body } = await openFile(bucket, parseUploadId(c.req.param('id')), principal);
  return c.body(body, 200, { ...OCTETS, 'content-length': String(manifest.fileBytes) });
});

demo.delete('/uploads/:id', signedIn, async (c) => {
  const principal = c.var.principal;
  const bucket = uploadsBucket(c.env);
  const id = parseUploadId(c.req.param('id'));
  await deleteUpload(bucket, id, principal);
  return c.json({ id, deleted: true });
});
