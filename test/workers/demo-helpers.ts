import { createExecutionContext, env, SELF } from 'cloudflare:test';
import { expect } from 'vitest';
import { app } from '../../worker/app';
import type { Bindings } from '../../worker/env';

/** What a /demo route answered: the status, the headers, the body as bytes and (if JSON) parsed. */
export interface DemoResponse {
  status: number;
  headers: Headers;
  bytes: Uint8Array;
  body: Record<string, any>;
}

export interface DemoRequest {
  method?: string;
  token?: string | null;
  body?: BodyInit | Record<string, unknown>;
  headers?: Record<string, string>;
  /** Bindings to change for this request (e.g. DEMO_MODE '0'); the request then skips SELF.fetch. */
  env?: Partial<Bindings>;
  /** Where the request is sent (its Host); a local demo's address unless told otherwise. */
  origin?: string;
}

/** The demo answers only on a loopback host (worker/demo/loopback.ts), as `npm start` serves it. */
export const DEMO_ORIGIN = 'http://localhost:8787';

async function read(response: Response): Promise<DemoResponse> {
  const bytes = new Uint8Array(await response.arrayBuffer());
  let body: Record<string, any> = {};
  if (response.headers.get('content-type')?.startsWith('application/json')) body = JSON.parse(new TextDecoder().decode(bytes));
  return { status: response.status, headers: response.headers, bytes, body };
}

/** Calls a /demo route of the real Worker (SELF.fetch), or the app itself with changed bindings. */
export async function demo(path: string, { method = 'GET', token, body, headers = {}, env: changed, origin = DEMO_ORIGIN }: DemoRequest = {}): Promise<DemoResponse> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (token) (init.headers as Record<string, string>).authorization = `Bearer ${token}`;
  if (body instanceof Uint8Array || typeof body === 'string' || body instanceof ReadableStream) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const url = `${origin}/demo${path}`;
  if (!changed) return read(await SELF.fetch(url, init));
  return read(await app.fetch(new Request(url, init), { ...env, ...changed }, createExecutionContext()));
}

/** A demo route must refuse with `errorName` and a 4xx status. */
export function expectRefused(response: DemoResponse, errorName: string, status?: number): void {
  expect(response.body.__type, JSON.stringify(response.body)).toBe(errorName);
  if (status !== undefined) expect(response.status).toBe(status);
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(response.status).toBeLessThan(500);
  expect(typeof response.body.message).toBe('string');
}

/** A demo user's token, through the sign-in route the page uses. */
export async function demoToken(user: string): Promise<string> {
  const response = await demo('/token', { method: 'POST', body: { user } });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.token as string;
}

export function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  // getRandomValues fills at most 64 KiB per call.
  for (let offset = 0; offset < length; offset += 65536) crypto.getRandomValues(bytes.subarray(offset, Math.min(length, offset + 65536)));
  return bytes;
}

/** A demo route as [method, path, body?]. */
export type DemoRoute = [string, string, unknown?];

/** Every demo route except the session config, for an upload id. */
export function demoRoutes(id: string): DemoRoute[] {
  return [
    ['POST', '/token', { user: 'alice' }],
    ['GET', '/uploads'],
    ['PUT', `/uploads/${id}/fields`, 'x'],
    ['PUT', `/uploads/${id}/parts/0`, 'x'],
    ['POST', `/uploads/${id}/complete`, { parts: 0 }],
    ['GET', `/uploads/${id}/fields`],
    ['GET', `/uploads/${id}/file`],
    ['DELETE', `/uploads/${id}`],
  ];
}
