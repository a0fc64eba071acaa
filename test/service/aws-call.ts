import { SignatureV4 } from '@smithy/signature-v4';
import type { TestAccessKey } from '../setup/access-keys';
import { Sha256 } from '../workers/sigv4-signer';

/**
 * An AWS-protocol request signed as the SDKs sign it, its answer read raw: for operations the
 * KMS client has no command for, and for members of an answer that its model does not know.
 */
export async function awsCall(endpoint: string, key: TestAccessKey, operation: string, input: object): Promise<{ status: number; body: Record<string, any> }> {
  const url = new URL(endpoint);
  const body = JSON.stringify(input);
  const signer = new SignatureV4({ credentials: key, region: 'us-east-1', service: 'kms', sha256: Sha256 });
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    headers: { host: url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${operation}` },
    body,
  });
  const response = await fetch(url, { method: 'POST', headers: signed.headers, body });
  const answer = await response.text();
  return { status: response.status, body: answer ? JSON.parse(answer) : {} };
}
