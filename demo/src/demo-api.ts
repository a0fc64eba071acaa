/**
 * The Worker's demo endpoints (docs/api.md, "Demo endpoints"): sign-in for demo users and the
 * shared storage of encrypted uploads. Errors arrive in the API's `{ "__type", "message" }`
 * shape and become the SDK's KmsServiceError, so the page explains them in one place.
 */
import { KmsServiceError } from '../../sdk/index';
import { currentToken } from './session';

export interface DemoUser {
  readonly name: string;
  readonly displayName: string;
}

export interface SessionConfig {
  readonly demoMode: boolean;
  readonly users: readonly DemoUser[];
  readonly account: string;
  readonly region: string;
}

export interface IssuedToken {
  readonly token: string;
  readonly expiresAt: number;
  readonly user: string;
  readonly principal: string;
}

export interface UploadManifest {
  readonly id: string;
  readonly owner: string;
  readonly createdAt: string;
  readonly parts: number;
  readonly fileBytes: number;
  readonly fieldsBytes: number;
}

async function call(what: string, path: string, init: RequestInit & { signedIn?: boolean } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.signedIn !== false) headers.set('authorization', `Bearer ${currentToken()}`);
  const response = await fetch(path, { ...init, headers });
  if (response.ok) return response;
  const requestId = response.headers.get('x-amzn-requestid') ?? undefined;
  let errorName = `Http${response.status}`;
  let message = response.statusText || 'request failed';
  try {
    const body = (await response.json()) as { __type?: unknown; message?: unknown };
    if (typeof body.__type === 'string') errorName = body.__type;
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // Not the API's JSON (a proxy's page, say): the status line is all there is.
  }
  const retryAfter = Number(response.headers.get('retry-after'));
  throw new KmsServiceError({
    errorName,
    message,
    status: response.status,
    requestId,
    retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    operation: what,
    attempts: 1,
  });
}

const json = (value: unknown): RequestInit => ({ body: JSON.stringify(value), headers: { 'content-type': 'application/json' } });
const bytes = (body: Uint8Array<ArrayBuffer> | Blob): RequestInit => ({ body, headers: { 'content-type': 'application/octet-stream' } });

export async function sessionConfig(): Promise<SessionConfig> {
  return (await call('demo sign-in settings', '/demo/session-config', { signedIn: false })).json();
}

export async function issueToken(user: string): Promise<IssuedToken> {
  return (await call('demo sign-in', '/demo/token', { method: 'POST', signedIn: false, ...json({ user }) })).json();
}

export async function putFields(id: string, ciphertext: Uint8Array<ArrayBuffer>, signal?: AbortSignal): Promise<void> {
  await call('upload of the form fields', `/demo/uploads/${id}/fields`, { method: 'PUT', signal, ...bytes(ciphertext) });
}

export async function putPart(id: string, part: number, ciphertext: Blob, signal?: AbortSignal): Promise<void> {
  await call(`upload of part ${part}`, `/demo/uploads/${id}/parts/${part}`, { method: 'PUT', signal, ...bytes(ciphertext) });
}

export async function completeUpload(id: string, parts: number, signal?: AbortSignal): Promise<UploadManifest> {
  return (await call('completing the upload', `/demo/uploads/${id}/complete`, { method: 'POST', signal, ...json({ parts }) })).json();
}

export async function listUploads(): Promise<UploadManifest[]> {
  return ((await (await call('listing uploads', '/demo/uploads')).json()) as { uploads: UploadManifest[] }).uploads;
}

export async function fetchFields(id: string, signal?: AbortSignal): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await (await call('download of the form fields', `/demo/uploads/${id}/fields`, { signal })).arrayBuffer());
}

export async function fetchFile(id: string, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
  const response = await call('download of the file', `/demo/uploads/${id}/file`, { signal });
  if (!response.body) throw new Error('the file download has no body');
  return response.body;
}

export async function deleteUpload(id: string): Promise<void> {
  await call('deleting the upload', `/demo/uploads/${id}`, { method: 'DELETE' });
}
