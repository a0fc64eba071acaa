/**
 * The test identity provider: fresh signing keys per run, so no private key
 * is committed. The Worker gets the public JWKS and the HS256 secret as
 * bindings; tests get the private keys through `inject('identityProvider')`.
 */
import { webcrypto } from 'node:crypto';

export interface TestIdentityProvider {
  issuer: string;
  audience: string;
  hs256Secret: string;
  /** Private JWKs by kid: `es256`, `rs256`, and `rogue` (not in the Worker's JWKS). */
  privateJwks: Record<string, JsonWebKey>;
  /** The public JWKS the Worker trusts. */
  publicJwks: { keys: JsonWebKey[] };
}

declare module 'vitest' {
  interface ProvidedContext {
    identityProvider: TestIdentityProvider;
  }
}

async function keyPair(kid: string, alg: 'ES256' | 'RS256') {
  const params =
    alg === 'ES256'
      ? { name: 'ECDSA', namedCurve: 'P-256' }
      : { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
  const pair = (await webcrypto.subtle.generateKey(params, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const privateJwk = { ...(await webcrypto.subtle.exportKey('jwk', pair.privateKey)), kid, alg };
  const publicJwk = { ...(await webcrypto.subtle.exportKey('jwk', pair.publicKey)), kid, alg, use: 'sig' };
  return { privateJwk: privateJwk as JsonWebKey, publicJwk: publicJwk as JsonWebKey };
}

export async function createTestIdentityProvider(): Promise<TestIdentityProvider> {
  const [es256, rs256, rogue] = await Promise.all([keyPair('es256', 'ES256'), keyPair('rs256', 'RS256'), keyPair('es256', 'ES256')]);
  return {
    issuer: 'https://idp.edgekms.test/',
    audience: 'edgekms-tests',
    hs256Secret: webcrypto.getRandomValues(new Uint8Array(32)).reduce((s, b) => s + b.toString(16).padStart(2, '0'), ''),
    privateJwks: { es256: es256.privateJwk, rs256: rs256.privateJwk, rogue: rogue.privateJwk },
    publicJwks: { keys: [es256.publicJwk, rs256.publicJwk] },
  };
}
