/**
 * An external key store proxy for the tests, on loopback, speaking the AWS
 * XKS Proxy API v1: POST `<prefix>/kms/xks/v1/health` and
 * `<prefix>/kms/xks/v1/keys/<id>/metadata|encrypt|decrypt`, JSON bodies,
 * errors as `{ errorName, errorMessage }` with the specification's statuses.
 * Every request must carry a valid SigV4 signature for the service
 * `kms-xks-proxy` under one of the proxy's credentials; the signature is
 * checked with @smithy/signature-v4 (the AWS SDK's signer), an implementation
 * independent of the service's own. Keys are AES-256 keys held in memory;
 * encryption is AES-GCM with the specification's AAD layout
 * (2-byte AAD length | AAD | 1-byte metadata length | ciphertextMetadata).
 *
 * `setMode('down')` drops every connection without an answer (a proxy that is
 * gone); `setMode('failing')` answers 500 InternalException; `setMode('garbage')`
 * answers 200 with a body that is not the API's JSON.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxyCredential {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface ExternalKey {
  material: Buffer;
  spec: string;
  usage: string[];
  status: 'ENABLED' | 'DISABLED';
}

/** What the proxy saw of one request: never the plaintext. */
export interface SeenRequest {
  api: string;
  keyId?: string;
  requestMetadata: Record<string, string>;
  additionalAuthenticatedData?: string;
}

export interface XksProxy {
  /** `http://127.0.0.1:<port>`: the XksProxyUriEndpoint. */
  readonly endpoint: string;
  /** The XksProxyUriPath. */
  readonly uriPath: string;
  readonly credential: ProxyCredential;
  readonly seen: SeenRequest[];
  /** A new AES-256 key (random material unless given), returned so tests can search storage for it. */
  addKey(id: string, key?: Partial<ExternalKey>): ExternalKey;
  setMode(mode: Mode): void;
  close(): Promise<void>;
}

type Mode = 'up' | 'down' | 'failing' | 'garbage';

const SERVICE = 'kms-xks-proxy';
const METADATA = Buffer.from('kv=1');

/** A Sha256 constructor for @smithy/signature-v4 on node:crypto (HMAC when given a secret). */
class NodeSha256 {
  private hash;
  private readonly secret: Uint8Array | string | undefined;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.secret = secret === undefined || typeof secret === 'string' ? secret : secret instanceof ArrayBuffer ? new Uint8Array(secret) : new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength);
    this.hash = this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
  update(data: Uint8Array | string): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
}

function randomId(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return Array.from(randomBytes(length), (b) => alphabet[b % alphabet.length]).join('');
}

export function randomCredential(): ProxyCredential {
  return { accessKeyId: `XKS${randomId(21)}`, secretAccessKey: randomBytes(33).toString('base64') };
}

class ProxyError extends Error {
  constructor(
    readonly status: number,
    readonly errorName: string,
  ) {
    super(errorName);
  }
}

function parseAuthorization(header: string | undefined) {
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) throw new ProxyError(401, 'AuthenticationFailedException');
  const [, accessKeyId, date, region, service, signedHeaders, signature] = match as unknown as string[];
  return { accessKeyId: accessKeyId!, date: date!, region: region!, service: service!, signedHeaders: signedHeaders!.split(';'), signature: signature! };
}

function amzDate(text: string | undefined): Date {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text ?? '');
  if (!match) throw new ProxyError(401, 'AuthenticationFailedException');
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  return new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
}

async function verifySignature(request: IncomingMessage, body: Buffer, credentials: ProxyCredential[], region: string): Promise<void> {
  const claimed = parseAuthorization(request.headers.authorization);
  const credential = credentials.find((c) => c.accessKeyId === claimed.accessKeyId);
  if (!credential || claimed.service !== SERVICE || claimed.region !== region) throw new ProxyError(401, 'AuthenticationFailedException');
  if (!claimed.signedHeaders.includes('host') || !claimed.signedHeaders.includes('x-amz-date')) throw new ProxyError(401, 'AuthenticationFailedException');
  const signedAt = amzDate(request.headers['x-amz-date'] as string | undefined);
  if (Math.abs(Date.now() - signedAt.getTime()) > 5 * 60_000) throw new ProxyError(401, 'AuthenticationFailedException');
  // The signer takes a declared payload hash as given; the body must match it.
  const declared = request.headers['x-amz-content-sha256'];
  if (declared !== undefined && declared !== createHash('sha256').update(body).digest('hex')) throw new ProxyError(401, 'AuthenticationFailedException');
  const headers: Record<string, string> = {};
  for (const name of claimed.signedHeaders) {
    const value = request.headers[name];
    if (typeof value !== 'string') throw new ProxyError(401, 'AuthenticationFailedException');
    headers[name] = value;
  }
  const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
  const signer = new SignatureV4({ credentials: credential, region, service: SERVICE, sha256: NodeSha256 });
  const signed = await signer.sign(
    { method: request.method ?? 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query: {}, headers, body: body.toString('utf8') },
    { signingDate: signedAt },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? signed.headers.Authorization))?.[1] ?? '';
  if (expected.length !== 64 || !timingSafeEqual(Buffer.from(expected), Buffer.from(claimed.signature))) {
    throw new ProxyError(401, 'AuthenticationFailedException');
  }
}

function gcmAad(aad: Buffer, metadata: Buffer): Buffer {
  const aadLength = Buffer.alloc(2);
  aadLength.writeUInt16BE(aad.length);
  return Buffer.concat([aadLength, aad, Buffer.of(metadata.length), metadata]);
}

function base64Field(body: Record<string, unknown>, name: string, required = true): Buffer | undefined {
  const value = body[name];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string') throw new ProxyError(400, 'ValidationException');
  return Buffer.from(value, 'base64');
}

export async function startXksProxy(options: { region?: string; uriPath?: string } = {}): Promise<XksProxy> {
  const region = options.region ?? 'us-east-1';
  const uriPath = options.uriPath ?? '/edgekms-test/kms/xks/v1';
  const credential = randomCredential();
  const keys = new Map<string, ExternalKey>();
  const seen: SeenRequest[] = [];
  let mode: Mode = 'up';

  function key(id: string, usage: 'ENCRYPT' | 'DECRYPT' | undefined): ExternalKey {
    const found = keys.get(id);
    if (!found) throw new ProxyError(404, 'KeyNotFoundException');
    if (found.status !== 'ENABLED') throw new ProxyError(400, 'InvalidStateException');
    if (usage && !found.usage.includes(usage)) throw new ProxyError(400, 'InvalidKeyUsageException');
    return found;
  }

  function answer(api: string, id: string | undefined, body: Record<string, unknown>): unknown {
    if (api === 'health') {
      return {
        xksProxyFleetSize: 1,
        xksProxyVendor: 'EdgeKMS tests',
        xksProxyModel: 'EdgeKMS loopback XKS proxy 1.0',
        ekmVendor: 'EdgeKMS tests',
        ekmFleetDetails: [{ id: 'memory-1', model: 'in-memory AES-256', healthStatus: 'ACTIVE' }],
      };
    }
    if (id === undefined) throw new ProxyError(404, 'InvalidUriPathException');
    if (api === 'metadata') {
      const found = keys.get(id);
      if (!found) throw new ProxyError(404, 'KeyNotFoundException');
      return { keySpec: found.spec, keyUsage: found.usage, keyStatus: found.status };
    }
    if (body.encryptionAlgorithm !== 'AES_GCM') throw new ProxyError(400, 'ValidationException');
    const aad = base64Field(body, 'additionalAuthenticatedData', false) ?? Buffer.alloc(0);
    if (api === 'encrypt') {
      const { material } = key(id, 'ENCRYPT');
      const plaintext = base64Field(body, 'plaintext')!;
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', material, iv).setAAD(gcmAad(aad, METADATA));
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return {
        ciphertext: ciphertext.toString('base64'),
        ciphertextMetadata: METADATA.toString('base64'),
        initializationVector: iv.toString('base64'),
        authenticationTag: cipher.getAuthTag().toString('base64'),
      };
    }
    if (api === 'decrypt') {
      const { material } = key(id, 'DECRYPT');
      const iv = base64Field(body, 'initializationVector')!;
      const tag = base64Field(body, 'authenticationTag')!;
      const metadata = base64Field(body, 'ciphertextMetadata', false) ?? Buffer.alloc(0);
      if ((iv.length !== 12 && iv.length !== 16) || tag.length !== 16) throw new ProxyError(400, 'InvalidCiphertextException');
      try {
        const decipher = createDecipheriv('aes-256-gcm', material, iv).setAAD(gcmAad(aad, metadata)).setAuthTag(tag);
        const plaintext = Buffer.concat([decipher.update(base64Field(body, 'ciphertext')!), decipher.final()]);
        return { plaintext: plaintext.toString('base64') };
      } catch {
        throw new ProxyError(400, 'InvalidCiphertextException');
      }
    }
    throw new ProxyError(404, 'InvalidUriPathException');
  }

  async function handle(request: IncomingMessage, response: ServerResponse, body: Buffer): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://proxy');
    const route = url.pathname.startsWith(`${uriPath}/`) ? url.pathname.slice(uriPath.length + 1) : undefined;
    const match = route === undefined ? null : /^(health)$|^keys\/([a-zA-Z0-9._-]{1,128})\/(metadata|encrypt|decrypt)$/.exec(route);
    if (!match) throw new ProxyError(404, 'InvalidUriPathException');
    if (request.method !== 'POST') throw new ProxyError(405, 'ValidationException');
    await verifySignature(request, body, [credential], region);
    if (mode === 'failing') throw new ProxyError(500, 'InternalException');
    if (mode === 'garbage') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ciphertext": 12');
      return;
    }
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new ProxyError(400, 'ValidationException');
    }
    const api = match[1] ?? match[3]!;
    const keyId = match[2];
    seen.push({
      api,
      ...(keyId !== undefined && { keyId }),
      requestMetadata: (parsed.requestMetadata ?? {}) as Record<string, string>,
      ...(typeof parsed.additionalAuthenticatedData === 'string' && { additionalAuthenticatedData: parsed.additionalAuthenticatedData }),
    });
    const result = answer(api, keyId, parsed);
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
  }

  const server = createServer((request, response) => {
    if (mode === 'down') {
      request.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      handle(request, response, Buffer.concat(chunks)).catch((error: unknown) => {
        const failure = error instanceof ProxyError ? error : new ProxyError(500, 'InternalException');
        response
          .writeHead(failure.status, { 'content-type': 'application/json' })
          .end(JSON.stringify({ errorName: failure.errorName, errorMessage: `The test proxy refused the request (${failure.errorName}).` }));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    uriPath,
    credential,
    seen,
    addKey(id, given = {}) {
      const created: ExternalKey = { material: randomBytes(32), spec: 'AES_256', usage: ['ENCRYPT', 'DECRYPT'], status: 'ENABLED', ...given };
      keys.set(id, created);
      return created;
    },
    setMode(next) {
      mode = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
