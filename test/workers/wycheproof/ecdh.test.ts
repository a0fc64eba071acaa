/**
 * ECDH on P-256, P-384 and P-521 through the service's `deriveSharedSecret`
 * (worker/crypto/key-agreement.ts), whose peer keys are SPKI as in
 * DeriveSharedSecret. Wycheproof's invalid vectors are the attacks on it:
 * points off the curve (invalid-curve attacks), other curves, broken
 * encodings; each must be refused with ValidationException, never answered.
 * The vectors give the private key as a scalar: it becomes the PKCS#8 the
 * service stores by way of a JWK (its public point computed by @noble/curves).
 */
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { expect } from 'vitest';
import { deriveSharedSecret } from '../../../worker/crypto/key-agreement';
import { KmsError } from '../../../worker/errors';
import { hexField, settle, toHex, vectorSuite, type WycheproofGroup } from './vectors';

interface EcdhGroup extends WycheproofGroup {
  curve: string;
  encoding: string;
}

const CURVES = [
  { file: 'ecdh_secp256r1_test.json', wycheproofCurve: 'secp256r1', namedCurve: 'P-256', noble: p256, size: 32 },
  { file: 'ecdh_secp384r1_test.json', wycheproofCurve: 'secp384r1', namedCurve: 'P-384', noble: p384, size: 48 },
  { file: 'ecdh_secp521r1_test.json', wycheproofCurve: 'secp521r1', namedCurve: 'P-521', noble: p521, size: 66 },
] as const;

const b64url = (bytes: Uint8Array) => bytes.toBase64({ alphabet: 'base64url', omitPadding: true });

/** The PKCS#8 of a scalar (big-endian, any length Wycheproof writes it in), as WebCrypto exports it. */
async function pkcs8Of(curve: (typeof CURVES)[number], scalarBytes: Uint8Array): Promise<Uint8Array> {
  const scalar = new Uint8Array(curve.size);
  const significant = scalarBytes.subarray(Math.max(0, scalarBytes.length - curve.size));
  scalar.set(significant, curve.size - significant.length);
  const point = curve.noble.getPublicKey(scalar, false);
  const jwk = {
    kty: 'EC',
    crv: curve.namedCurve,
    d: b64url(scalar),
    x: b64url(point.subarray(1, 1 + curve.size)),
    y: b64url(point.subarray(1 + curve.size)),
  };
  const key = await crypto.subtle.importKey('jwk', jwk, { name: 'ECDH', namedCurve: curve.namedCurve }, true, ['deriveBits']);
  return new Uint8Array((await crypto.subtle.exportKey('pkcs8', key)) as ArrayBuffer);
}

for (const curve of CURVES) {
  vectorSuite<EcdhGroup>(
    curve.file,
    `ECDH ${curve.namedCurve}: deriveSharedSecret with an SPKI peer key`,
    async ({ test, label }) => {
      const pkcs8 = await pkcs8Of(curve, hexField(test, 'private'));
      const outcome = await settle(() => deriveSharedSecret(curve.namedCurve, pkcs8, hexField(test, 'public')));
      if (test.result === 'valid') {
        expect.soft(outcome.ok && toHex(outcome.value), `${label}: the shared secret`).toBe(test.shared);
        return;
      }
      if (!outcome.ok) {
        // Refused: as the typed 4xx DeriveSharedSecret answers, never another fault.
        expect.soft(outcome.error instanceof KmsError && outcome.error.name, `${label}: refusal`).toBe('ValidationException');
        return;
      }
      // Acceptable vectors (compressed points, unusual but valid encodings) may be answered, and then correctly.
      if (test.result === 'acceptable') expect.soft(toHex(outcome.value), `${label}: an accepted vector's secret`).toBe(test.shared);
      else expect.soft(outcome.ok, `${label}: an invalid peer key must be refused, not answered`).toBe(false);
    },
    {
      groupTitle: (group, index) => `group ${index}: ${group.curve}, ${group.encoding}`,
      checkGroup: (group) => {
        expect(group.curve).toBe(curve.wycheproofCurve);
        expect(group.encoding).toBe('asn');
      },
    },
  );
}
