import { ValidationException } from '../errors';

/**
 * Where an external key store's proxy answers: XksProxyUriEndpoint
 * (`https://<host>`) and XksProxyUriPath (`[/<prefix>]/kms/xks/v<n>`), checked
 * with the patterns of the AWS KMS API model.
 *
 * One deviation, for local runs and the tests' own proxy: a plain-HTTP
 * endpoint is accepted when its host is a loopback address (127.0.0.1,
 * localhost, [::1]), with a port. AWS requires https and no port. On
 * Cloudflare a Worker reaches no loopback service, so the exception is of use
 * only where workerd runs locally (`npm start`, the service tests).
 */
const HTTPS_ENDPOINT = /^https:\/\/[a-zA-Z0-9.-]+$/;
const LOOPBACK_HTTP_ENDPOINT = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d{1,5}$/;
const URI_PATH = /^(\/[a-zA-Z0-9/_-]+\/kms\/xks\/v\d{1,2})$|^(\/kms\/xks\/v\d{1,2})$/;
/** The XKS Proxy API's external key ids: at most 128 of these characters. */
const XKS_KEY_ID = /^[a-zA-Z0-9._-]{1,128}$/;

export function checkUriEndpoint(endpoint: string): string {
  const fits = endpoint.length >= 10 && endpoint.length <= 128 && (HTTPS_ENDPOINT.test(endpoint) || LOOPBACK_HTTP_ENDPOINT.test(endpoint));
  if (!fits) {
    throw new ValidationException(
      `1 validation error detected: Value '${endpoint}' at 'xksProxyUriEndpoint' failed to satisfy constraint: Member must satisfy regular expression pattern: ^https://[a-zA-Z0-9.-]+$`,
    );
  }
  return endpoint;
}

export function checkUriPath(path: string): string {
  if (path.length < 10 || path.length > 128 || !URI_PATH.test(path)) {
    throw new ValidationException(
      `1 validation error detected: Value '${path}' at 'xksProxyUriPath' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(/[a-zA-Z0-9\\/_-]+/kms/xks/v\\d{1,2})$|^(/kms/xks/v\\d{1,2})$`,
    );
  }
  return path;
}

/** `.` and `..` fit the pattern but would be read as path steps in the proxy's URL: refused. */
export function isXksKeyId(id: string): boolean {
  return XKS_KEY_ID.test(id) && id !== '.' && id !== '..';
}

/** The URL of one proxy API: `health`, or `keys/<id>/metadata|encrypt|decrypt`. */
export function proxyUrl(endpoint: string, path: string, api: string): URL {
  return new URL(`${endpoint}${path}/${api}`);
}
