import { canonicalRequest, computeSignature, sha256Hex } from '../auth/sigv4';

/**
 * Signs a request to an external key store proxy with AWS Signature V4, as
 * the XKS Proxy API requires: the store's access key, the service name
 * `kms-xks-proxy` and the key store's region. Reuses the canonical request
 * and signing chain the service verifies its own callers with (auth/sigv4.ts).
 * Returns the headers to send; `host` is signed but left to fetch to send,
 * from the same URL.
 */
export const XKS_SIGNING_SERVICE = 'kms-xks-proxy';

export interface ProxyCredential {
  accessKeyId: string;
  secretAccessKey: string;
}

function amzDateOf(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export async function signedProxyHeaders(
  url: URL,
  body: string,
  credential: ProxyCredential,
  region: string,
  now = new Date(),
): Promise<Headers> {
  const amzDate = amzDateOf(now);
  const payloadHash = await sha256Hex(body);
  const headers = new Headers({
    'content-type': 'application/json',
    host: url.host,
    'x-amz-content-sha256': payloadHash,
    'x-amz-date': amzDate,
  });
  const signedHeaders = ['content-type', 'host', 'x-amz-content-sha256', 'x-amz-date'];
  const scope = { date: amzDate.slice(0, 8), region, service: XKS_SIGNING_SERVICE };
  const canonical = canonicalRequest({ method: 'POST', url, headers, payloadHash }, signedHeaders);
  const signature = await computeSignature(credential.secretAccessKey, amzDate, scope, canonical);
  headers.set(
    'authorization',
    `AWS4-HMAC-SHA256 Credential=${credential.accessKeyId}/${scope.date}/${region}/${XKS_SIGNING_SERVICE}/aws4_request, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`,
  );
  headers.delete('host');
  return headers;
}
