import { env, evictDurableObject, runInDurableObject, SELF } from 'cloudflare:test';
import { importJWK, SignJWT, type JWTPayload } from 'jose';
import { expect, inject } from 'vitest';
import { type ClientOptions, createClient } from '../../sdk/client/index';

export const ADMIN_TOKEN = 'test-admin-token';

export interface KmsResponse<T = Record<string, any>> {
  status: number;
  body: T;
}

/** Calls `POST /v1/<operation>` on the real Worker, as the development administrator by default. */
export async function kms<T = Record<string, any>>(
  operation: string,
  body: unknown = {},
  { token = ADMIN_TOKEN, raw }: { token?: string | null; raw?: string } = {},
): Promise<KmsResponse<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const response = await SELF.fetch(`https://kms.test/v1/${operation}`, {
    method: 'POST',
    headers,
    body: raw ?? JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

/** Calls an operation that must succeed and returns its output. */
export async function ok<T = Record<string, any>>(operation: string, body: unknown = {}): Promise<T> {
  const response = await kms<T>(operation, body);
  expect(response.body, `${operation} should succeed`).not.toHaveProperty('__type');
  expect(response.status).toBe(200);
  return response.body;
}

/** Calls an operation that must be refused with `errorName` and a 4xx status. */
export async function refused(operation: string, body: unknown, errorName: string, options?: Parameters<typeof kms>[2]) {
  const response = await kms(operation, body, options);
  expect(response.body.__type, `${operation} → ${JSON.stringify(response.body)}`).toBe(errorName);
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(response.status).toBeLessThan(500);
  expect(typeof response.body.message).toBe('string');
  return response;
}

export const b64 = (bytes: Uint8Array) => bytes.toBase64();
export const unb64 = (text: string) => Uint8Array.fromBase64(text);
export const utf8 = (text: string) => new TextEncoder().encode(text);

export async function createKey(body: Record<string, unknown> = {}): Promise<string> {
  const { KeyMetadata } = await ok('CreateKey', body);
  return KeyMetadata.KeyId as string;
}

export function keyStub(keyId: string) {
  return env.KEY_OBJECT.get(env.KEY_OBJECT.idFromName(keyId));
}

/**
 * Edits a key's stored record directly, as the passage of time would, then
 * evicts the object so that it reloads from storage. Used to bring a rotation
 * or a deletion date into the past before running the alarm.
 */
export async function editStoredRecord(keyId: string, edit: (record: Record<string, any>) => void): Promise<void> {
  const stub = keyStub(keyId);
  await runInDurableObject(stub, async (_instance, state) => {
    const record = await state.storage.get<Record<string, any>>('key');
    if (!record) throw new Error(`no record for ${keyId}`);
    edit(record);
    await state.storage.put('key', record);
  });
  await evictDurableObject(stub);
}

/** The key version named in a symmetric ciphertext blob (bytes 39..42, big-endian). */
export function blobVersion(blob: string): number {
  const bytes = unb64(blob);
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(39);
}

/** Retries an assertion until it holds, for effects the runtime applies on its own (an alarm firing). */
export async function eventually(assertion: () => Promise<void>, { timeoutMs = 5000, intervalMs = 50 } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** Mints a JWT from the test identity provider; `overrides` change or (with undefined) drop claims. */
export async function mintToken(
  claims: Record<string, unknown> = {},
  { kid = 'es256', alg, secret }: { kid?: string; alg?: string; secret?: Uint8Array } = {},
): Promise<string> {
  const idp = inject('identityProvider');
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = { iss: idp.issuer, aud: idp.audience, sub: 'alice', account: '111122223333', iat: now, exp: now + 300, ...claims };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  const jwt = new SignJWT(payload as JWTPayload);
  if (secret) return jwt.setProtectedHeader({ alg: alg ?? 'HS256' }).sign(secret);
  const jwk = idp.privateJwks[kid]!;
  return jwt.setProtectedHeader({ alg: alg ?? (jwk.alg as string), kid }).sign(await importJWK(jwk, jwk.alg));
}

/** A request as the JWT user `sub` of the default test account, holding the roles `groups`. */
export async function asUser(sub: string, operation: string, body: unknown, groups: string[] = []) {
  return kms(operation, body, { token: await mintToken({ sub, groups }) });
}

/** The SDK's client for the real Worker (through SELF.fetch), as the administrator unless told otherwise. */
export function sdkClient(options: Partial<ClientOptions> = {}) {
  return createClient({
    endpoint: 'https://kms.test',
    getToken: () => ADMIN_TOKEN,
    fetch: (input, init) => SELF.fetch(input, init),
    ...options,
  });
}

/** Successful calls of one operation on one key, as the service's audit trail records them. */
export async function auditCount(keyId: string, operation: string): Promise<number> {
  let count = 0;
  let marker: string | undefined;
  do {
    const page = await ok('ListAuditRecords', { KeyId: keyId, Operation: operation, Outcome: 'Allowed', Limit: 1000, ...(marker && { Marker: marker }) });
    count += page.Records.length;
    marker = page.NextMarker;
  } while (marker);
  return count;
}

/** Where `needle` first occurs in `haystack`, or -1. */
export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export async function sha(hash: 'SHA-256' | 'SHA-384' | 'SHA-512', data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(hash, data));
}
