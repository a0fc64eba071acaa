import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { ExpiredTokenException, InvalidTokenException, KMSInternalException } from '../errors';
import type { Principal } from './principal';

/**
 * Bearer JWTs from an identity provider (JWKS, as a URL or an inline
 * document) or, for local development, HS256 with a shared secret. Issuer,
 * audience, `exp`/`nbf` (with a small clock skew) and an algorithm allow-list
 * are always enforced; the token's `alg` only chooses which configured key
 * source to try, so an HS256 token is never checked against a public key.
 */
export interface JwtSettings {
  JWT_HS256_SECRET?: string;
  JWT_JWKS?: string;
  JWT_JWKS_URL?: string;
  JWT_ISSUER?: string;
  JWT_AUDIENCE?: string;
  JWT_ALGORITHMS?: string;
  JWT_CLOCK_SKEW_SECONDS?: string;
  JWT_ACCOUNT_CLAIM?: string;
  JWT_ROLES_CLAIM?: string;
  /** The role (from the roles claim) that makes a JWT identity an account administrator. */
  KMS_ADMIN_ROLE?: string;
  KMS_ACCOUNT_ID: string;
}

const DEFAULT_ASYMMETRIC = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];
const ACCOUNT = /^\d{12}$/;
const SUBJECT = /^[^\s*?$\u0000-\u001f\u007f]{1,256}$/;

let localJwks: { source: string; keys: JWTVerifyGetKey } | undefined;
let remoteJwks: { url: string; keys: JWTVerifyGetKey } | undefined;

function jwksKeys(settings: JwtSettings): JWTVerifyGetKey | undefined {
  if (settings.JWT_JWKS) {
    if (localJwks?.source !== settings.JWT_JWKS) {
      localJwks = { source: settings.JWT_JWKS, keys: createLocalJWKSet(JSON.parse(settings.JWT_JWKS)) };
    }
    return localJwks.keys;
  }
  if (settings.JWT_JWKS_URL) {
    if (remoteJwks?.url !== settings.JWT_JWKS_URL) {
      const url = new URL(settings.JWT_JWKS_URL);
      // Keys fetched in the clear could be swapped on the way; only loopback may skip TLS.
      if (url.protocol !== 'https:' && !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
        throw new KMSInternalException('JWT_JWKS_URL must be an https URL.');
      }
      remoteJwks = { url: settings.JWT_JWKS_URL, keys: createRemoteJWKSet(url) };
    }
    return remoteJwks.keys;
  }
  return undefined;
}

function asymmetricAlgorithms(settings: JwtSettings): string[] {
  const listed = settings.JWT_ALGORITHMS?.split(',').map((alg) => alg.trim()).filter(Boolean);
  // HMAC algorithms never come from a JWKS here: that is the HS/RS confusion.
  return (listed ?? DEFAULT_ASYMMETRIC).filter((alg) => !alg.startsWith('HS') && alg !== 'none');
}

async function verify(token: string, settings: JwtSettings): Promise<JWTPayload> {
  if (!settings.JWT_ISSUER || !settings.JWT_AUDIENCE) {
    throw new InvalidTokenException('This service accepts no JWTs: JWT_ISSUER and JWT_AUDIENCE are not configured.');
  }
  let alg: string | undefined;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    throw new InvalidTokenException('The bearer token is not a JWT.');
  }
  const options = {
    issuer: settings.JWT_ISSUER,
    audience: settings.JWT_AUDIENCE,
    clockTolerance: Number(settings.JWT_CLOCK_SKEW_SECONDS ?? 60),
    requiredClaims: ['exp', 'sub'],
  };
  try {
    if (alg === 'HS256' && settings.JWT_HS256_SECRET) {
      const secret = new TextEncoder().encode(settings.JWT_HS256_SECRET);
      return (await jwtVerify(token, secret, { ...options, algorithms: ['HS256'] })).payload;
    }
    const keys = jwksKeys(settings);
    if (!keys) throw new InvalidTokenException(`Tokens signed with ${alg} are not accepted.`);
    return (await jwtVerify(token, keys, { ...options, algorithms: asymmetricAlgorithms(settings) })).payload;
  } catch (error) {
    throw describeFailure(error);
  }
}

function describeFailure(error: unknown): Error {
  if (error instanceof InvalidTokenException || error instanceof KMSInternalException) return error;
  if (error instanceof errors.JWTExpired) return new ExpiredTokenException('The token has expired.');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return new ExpiredTokenException('The token is not valid yet (nbf).');
    return new InvalidTokenException(`The token's ${error.claim} claim is not accepted.`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return new InvalidTokenException('The token algorithm is not allowed.');
  if (error instanceof errors.JWSSignatureVerificationFailed) return new InvalidTokenException('The token signature is not valid.');
  if (error instanceof errors.JWKSNoMatchingKey) return new InvalidTokenException('No configured key matches the token.');
  return new InvalidTokenException('The bearer token is not a valid JWT.');
}

function claimList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/[ ,]+/).filter(Boolean);
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

/** Verifies a JWT and maps its claims to a principal. */
export async function authenticateJwt(token: string, settings: JwtSettings): Promise<Principal> {
  const payload = await verify(token, settings);
  // The subject becomes part of an ARN that policies match: no wildcards, variables or control characters.
  const subject = payload.sub;
  if (typeof subject !== 'string' || !SUBJECT.test(subject)) {
    throw new InvalidTokenException('The token\'s sub claim is not a usable identity.');
  }
  let account = settings.KMS_ACCOUNT_ID;
  if (settings.JWT_ACCOUNT_CLAIM) {
    const claimed = payload[settings.JWT_ACCOUNT_CLAIM];
    if (typeof claimed !== 'string' || !ACCOUNT.test(claimed)) {
      throw new InvalidTokenException(`The token's ${settings.JWT_ACCOUNT_CLAIM} claim is missing or not a 12-digit account.`);
    }
    account = claimed;
  }
  const roles = claimList(payload[settings.JWT_ROLES_CLAIM ?? 'groups']);
  return {
    account,
    arn: `arn:aws:sts::${account}:federated-user/${subject}`,
    kind: 'jwt',
    claims: payload as Record<string, unknown>,
    roles,
    isAccountAdmin: roles.includes(settings.KMS_ADMIN_ROLE ?? 'kms-admin'),
  };
}
