import { SignatureV4 } from '@smithy/signature-v4';
import type { TestAccessKey } from '../setup/access-keys';

/** The hash smithy's signer asks for: SHA-256, or HMAC-SHA-256 when given a secret, on WebCrypto. */
export class Sha256 {
  private readonly chunks: Uint8Array[] = [];
  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {}
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.chunks.push(bytesOf(data));
  }
  async digest(): Promise<Uint8Array> {
    const data = new Uint8Array(this.chunks.reduce((n, c) => n + c.length, 0));
    this.chunks.reduce((offset, chunk) => (data.set(chunk, offset), offset + chunk.length), 0);
    if (this.secret === undefined) return new Uint8Array(await crypto.subtle.digest('SHA-256', data));
    const key = await crypto.subtle.importKey('raw', bytesOf(this.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return new Uint8Array(await crypto.subtle.sign('HMAC', key, data));
  }
  reset(): void {
    this.chunks.length = 0;
  }
}

function bytesOf(data: string | ArrayBuffer | ArrayBufferView): Uint8Array {
  if (typeof data === 'string') return new TextEncoder().encode(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** A SigV4-signed AWS-protocol request for `https://kms.test/`, as an AWS SDK configured for `region` would send it. */
export async function signedKmsRequest(
  key: TestAccessKey,
  operation: string,
  body: string,
  region = 'us-east-1',
): Promise<RequestInit & { headers: Record<string, string> }> {
  const signer = new SignatureV4({ credentials: key, region, service: 'kms', sha256: Sha256 });
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'https:',
    hostname: 'kms.test',
    path: '/',
    headers: { host: 'kms.test', 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${operation}` },
    body,
  });
  return { method: 'POST', headers: signed.headers, body };
}
