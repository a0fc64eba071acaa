import {
  AccessDeniedException,
  IncompleteSignature,
  InvalidSignatureException,
  MissingAuthenticationTokenException,
  UnrecognizedClientException,
} from '../errors';
import { isServedRegion, type RegionSettings } from '../regions';
import { equalBytes } from './constant-time';
import type { Principal } from './principal';

/**
 * AWS Signature Version 4, verified: the Authorization-header form the AWS
 * SDKs and CLI send, and the presigned-query form. The signature is
 * recomputed from the request as received (canonical request, credential
 * scope, HMAC chain from the secret) and compared in constant time; the
 * date must be within 15 minutes and the scope must name a served region
 * (regions.ts) and the `kms` service. The scope's region is the region the
 * request acts in: its keys and aliases are that region's.
 *
 * A signature covers only what it lists, so a header it does not list could
 * change the request's meaning after signing. As AWS requires, `host` and
 * every `x-amz-*` header present must be signed; the query string is always
 * signed. Whatever the caller reads from `x-amz-*` headers or the query after
 * verification is therefore what the signer meant.
 */
/** One configured access key: `AWS_ACCESS_KEYS` is a JSON object of these by access key id. */
export interface AccessKey {
  secretAccessKey: string;
  account: string;
  /** The IAM user name the key belongs to; the principal is `arn:aws:iam::<account>:user/<user>`. */
  user: string;
  roles?: string[];
  /** Whether this user administers its account (the account root in key policies). */
  admin?: boolean;
}

export interface SigV4Settings extends RegionSettings {
  AWS_ACCESS_KEYS?: string;
}

/** Who signed the request, and the region its credential scope names. */
export interface SignedIn {
  principal: Principal;
  region: string;
}

export interface SignedParts {
  method: string;
  url: URL;
  headers: Headers;
  payloadHash: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const SERVICE = 'kms';
const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
const encoder = new TextEncoder();

const hex = (bytes: ArrayBuffer | Uint8Array) =>
  Array.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');

export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', typeof data === 'string' ? encoder.encode(data) : data));
}

async function hmac(key: Uint8Array, data: string): Promise<Uint8Array> {
  const imported = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', imported, encoder.encode(data)));
}

export async function signingKey(secret: string, date: string, region: string, service: string): Promise<Uint8Array> {
  const kDate = await hmac(encoder.encode(`AWS4${secret}`), date);
  const kRegion = await hmac(kDate, region);
  const kService = await hmac(kRegion, service);
  return hmac(kService, 'aws4_request');
}

/** RFC 3986 unreserved characters stay; everything else is %XX, upper-case. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalUri(pathname: string): string {
  // Services other than S3 sign the path with each segment encoded once more.
  return pathname.split('/').map((segment) => uriEncode(segment)).join('/') || '/';
}

function canonicalQuery(url: URL, exclude: string | undefined): string {
  const pairs: Array<[string, string]> = [];
  for (const [key, value] of url.searchParams) if (key !== exclude) pairs.push([uriEncode(key), uriEncode(value)]);
  pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([key, value]) => `${key}=${value}`).join('&');
}

export function canonicalRequest(parts: SignedParts, signedHeaders: string[], excludeQuery?: string): string {
  const headerLines = signedHeaders.map((name) => `${name}:${(parts.headers.get(name) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  return [
    parts.method,
    canonicalUri(parts.url.pathname),
    canonicalQuery(parts.url, excludeQuery),
    headerLines,
    signedHeaders.join(';'),
    parts.payloadHash,
  ].join('\n');
}

export async function computeSignature(
  secret: string,
  amzDate: string,
  scope: { date: string; region: string; service: string },
  canonical: string,
): Promise<string> {
  const stringToSign = [ALGORITHM, amzDate, `${scope.date}/${scope.region}/${scope.service}/aws4_request`, await sha256Hex(canonical)].join('\n');
  return hex(await hmac(await signingKey(secret, scope.date, scope.region, scope.service), stringToSign));
}

interface Claimed {
  accessKeyId: string;
  scope: { date: string; region: string; service: string; terminator: string };
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  expiresSeconds?: number;
  fromQuery: boolean;
}

function parseCredential(credential: string): Pick<Claimed, 'accessKeyId' | 'scope'> {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((part) => part === '')) {
    throw new IncompleteSignature('Credential must have the form <access key id>/<date>/<region>/<service>/aws4_request.');
  }
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  return { accessKeyId, scope: { date, region, service, terminator } };
}

function claimedSignature(url: URL, headers: Headers): Claimed {
  const authorization = headers.get('authorization');
  if (authorization !== null) {
    if (!authorization.startsWith(`${ALGORITHM} `)) {
      throw new IncompleteSignature(`Only ${ALGORITHM} signatures are accepted.`);
    }
    const fields = new Map<string, string>();
    for (const field of authorization.slice(ALGORITHM.length + 1).split(',')) {
      const [name, ...rest] = field.trim().split('=');
      if (name && rest.length > 0) fields.set(name, rest.join('='));
    }
    const credential = fields.get('Credential');
    const signedHeaders = fields.get('SignedHeaders');
    const signature = fields.get('Signature');
    if (!credential || !signedHeaders || !signature) {
      throw new IncompleteSignature('Authorization header requires Credential, SignedHeaders and Signature.');
    }
    const amzDate = headers.get('x-amz-date');
    if (!amzDate) throw new IncompleteSignature("Authorization header requires an 'X-Amz-Date' header.");
    return { ...parseCredential(credential), signedHeaders: signedHeaders.split(';'), signature, amzDate, fromQuery: false };
  }
  if (url.searchParams.has('X-Amz-Algorithm')) {
    const get = (name: string) => url.searchParams.get(name);
    if (get('X-Amz-Algorithm') !== ALGORITHM) throw new IncompleteSignature(`Only ${ALGORITHM} signatures are accepted.`);
    const credential = get('X-Amz-Credential');
    const signedHeaders = get('X-Amz-SignedHeaders');
    const signature = get('X-Amz-Signature');
    const amzDate = get('X-Amz-Date');
    const expires = Number(get('X-Amz-Expires') ?? NaN);
    if (!credential || !signedHeaders || !signature || !amzDate || !Number.isInteger(expires)) {
      throw new IncompleteSignature('A presigned request needs X-Amz-Credential, -Date, -Expires, -SignedHeaders and -Signature.');
    }
    if (expires < 1 || expires > MAX_PRESIGN_SECONDS) throw new IncompleteSignature('X-Amz-Expires must be between 1 and 604800.');
    return { ...parseCredential(credential), signedHeaders: signedHeaders.split(';'), signature, amzDate, expiresSeconds: expires, fromQuery: true };
  }
  throw new MissingAuthenticationTokenException('Request is missing Authentication Token.');
}

function parseAmzDate(amzDate: string): number {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!match) throw new IncompleteSignature(`X-Amz-Date '${amzDate}' is not in the form YYYYMMDDTHHMMSSZ.`);
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

/** The `x-amz-*` headers present that SignedHeaders does not list (Headers yields lower-case names). */
function unsignedAmzHeaders(headers: Headers, signedHeaders: string[]): string[] {
  const signed = new Set(signedHeaders);
  return [...headers.keys()].filter((name) => name.startsWith('x-amz-') && !signed.has(name));
}

let parsedKeys: { source: string; keys: Map<string, AccessKey> } | undefined;

/** The configured access keys, parsed once per configuration rather than per request. */
function accessKey(settings: SigV4Settings, accessKeyId: string): AccessKey | undefined {
  const source = settings.AWS_ACCESS_KEYS ?? '';
  if (parsedKeys?.source !== source) {
    let keys: Record<string, AccessKey> = {};
    try {
      keys = source ? (JSON.parse(source) as Record<string, AccessKey>) : {};
    } catch {
      // A malformed configuration trusts no key.
    }
    parsedKeys = { source, keys: new Map(Object.entries(keys)) };
  }
  return parsedKeys.keys.get(accessKeyId);
}

/** Verifies a SigV4-signed request whose body hashes to `payloadHash`; returns its principal and region. */
export async function verifySigV4(parts: SignedParts, settings: SigV4Settings, now = Date.now()): Promise<SignedIn> {
  const claimed = claimedSignature(parts.url, parts.headers);
  const { scope } = claimed;
  const signedAt = parseAmzDate(claimed.amzDate);
  if (scope.date !== claimed.amzDate.slice(0, 8)) {
    throw new InvalidSignatureException(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scope.date}' != '${claimed.amzDate.slice(0, 8)}'.`);
  }
  if (!isServedRegion(settings, scope.region)) {
    throw new InvalidSignatureException(`Credential should be scoped to a valid region, not '${scope.region}'.`);
  }
  if (scope.service !== SERVICE || scope.terminator !== 'aws4_request') {
    throw new InvalidSignatureException(`Credential should be scoped to correct service: '${SERVICE}'.`);
  }
  if (!claimed.signedHeaders.includes('host')) {
    throw new IncompleteSignature("The signed headers must include 'host'.");
  }
  const unsigned = unsignedAmzHeaders(parts.headers, claimed.signedHeaders);
  if (unsigned.length > 0) {
    throw new AccessDeniedException(`There were headers present in the request which were not signed: ${unsigned.join(', ')}.`);
  }
  const expiresAt = claimed.fromQuery ? signedAt + claimed.expiresSeconds! * 1000 : signedAt + MAX_SKEW_MS;
  if (now > expiresAt || signedAt > now + MAX_SKEW_MS) {
    throw new InvalidSignatureException(`Signature expired: ${claimed.amzDate} is outside the accepted time window.`);
  }
  const declaredHash = parts.headers.get('x-amz-content-sha256');
  if (declaredHash !== null && declaredHash !== parts.payloadHash) {
    throw new InvalidSignatureException('The request body does not match X-Amz-Content-Sha256.');
  }
  const key = accessKey(settings, claimed.accessKeyId);
  if (!key) throw new UnrecognizedClientException('The security token included in the request is invalid.');

  const canonical = canonicalRequest(parts, claimed.signedHeaders, claimed.fromQuery ? 'X-Amz-Signature' : undefined);
  const expected = await computeSignature(key.secretAccessKey, claimed.amzDate, scope, canonical);
  if (!equalBytes(encoder.encode(expected), encoder.encode(claimed.signature.toLowerCase()))) {
    throw new InvalidSignatureException(
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    );
  }
  const principal: Principal = {
    account: key.account,
    arn: `arn:aws:iam::${key.account}:user/${key.user}`,
    kind: 'sigv4',
    claims: {},
    roles: key.roles ?? [],
    isAccountAdmin: key.admin === true,
  };
  return { principal, region: scope.region };
}
