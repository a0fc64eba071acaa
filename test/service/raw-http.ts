/**
 * HTTP/1.1 over a bare socket, for requests that no well-behaved client library sends: bodies
 * framed exactly as given (chunked, or shorter than their Content-Length) and clients that hang up
 * in the middle of them.
 */
import { connect } from 'node:net';

export interface RawResponse {
  readonly status: number;
  readonly body: string;
}

/** `size` bytes as HTTP/1.1 chunks of `chunkSize`, without the closing zero-length chunk. */
export function chunks(size: number, chunkSize = 10_000): Buffer[] {
  const parts: Buffer[] = [];
  for (let sent = 0; sent < size; sent += chunkSize) {
    const length = Math.min(chunkSize, size - sent);
    parts.push(Buffer.concat([Buffer.from(`${length.toString(16)}\r\n`), Buffer.alloc(length, 0x61), Buffer.from('\r\n')]));
  }
  return parts;
}
export const LAST_CHUNK = Buffer.from('0\r\n\r\n');

/** The head of a request: the request line, `Host`, `Connection: close` and the given headers. */
export function head(origin: string, target: string, headers: Record<string, string>): Buffer {
  const lines = [`POST ${target} HTTP/1.1`, `Host: ${new URL(origin).host}`, 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);
}

/** Sends the request whole and reads the answer; rejects if none comes within `timeoutMs`. */
export function send(origin: string, parts: Buffer[], timeoutMs = 15_000): Promise<RawResponse> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    socket.on('connect', () => {
      for (const part of parts) socket.write(part);
    });
    // workerd keeps the connection open for a while despite `Connection: close`: done once the answer is whole.
    socket.on('data', (data) => {
      received = Buffer.concat([received, data]);
      const response = parse(received);
      if (response) {
        resolve(response);
        socket.destroy();
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`the connection closed before a whole answer (${received.byteLength} bytes)`)));
  });
}

/** Sends the given parts, then destroys the socket without reading or waiting for an answer. */
export function hangUp(origin: string, parts: Buffer[]): Promise<void> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    let connected = false;
    const socket = connect(Number(port), hostname, () => {
      connected = true;
      for (const part of parts) socket.write(part);
      // Long enough for the server to have started reading the body.
      setTimeout(() => socket.destroy(), 50);
    });
    // Once connected, whatever the server does to the connection is no concern of this client's.
    socket.on('error', (error) => connected || reject(error));
    socket.on('close', () => resolve());
  });
}

/** The answer in `raw`, or undefined while it is incomplete (Content-Length or chunked framing). */
function parse(raw: Buffer): RawResponse | undefined {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine = '', ...headerLines] = text.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1]);
  const header = (name: string) => headerLines.find((line) => line.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim();
  const rest = text.slice(end + 4);
  const utf8 = (latin1: string) => Buffer.from(latin1, 'latin1').toString('utf8');
  if (header('transfer-encoding')?.toLowerCase() === 'chunked') {
    let body = '';
    for (let at = 0; ; ) {
      const lineEnd = rest.indexOf('\r\n', at);
      if (lineEnd < 0) return undefined;
      const length = parseInt(rest.slice(at, lineEnd), 16);
      if (length === 0) return { status, body: utf8(body) };
      if (rest.length < lineEnd + 2 + length + 2) return undefined;
      body += rest.slice(lineEnd + 2, lineEnd + 2 + length);
      at = lineEnd + 2 + length + 2;
    }
  }
  const length = Number(header('content-length') ?? 0);
  return rest.length < length ? undefined : { status, body: utf8(rest.slice(0, length)) };
}
