/**
 * ECDSA P-256/SHA-256, P-384/SHA-384, P-521/SHA-512 and secp256k1/SHA-256
 * (IEEE P1363 vectors) through the
 * service's `verifySignature`: RAW (WebCrypto) and DIGEST (@noble/curves).
 * The service speaks DER, so each r||s of the right length is re-encoded with
 * the strict converter below; a P1363 signature of the wrong length is handed
 * over as given and must be rejected. secp256k1 runs on @noble/curves in
 * both modes; a P-521 DER signature has a long-form (0x81) length.
 */
import { expect } from 'vitest';
import type { KeySpec, SigningAlgorithm } from '../../../worker/crypto/key-specs';
import { verifySignature } from '../../../worker/crypto/signing';
import {
  concat,
  expectVerdict,
  hex,
  hexField,
  settle,
  sha,
  toHex,
  vectorSuite,
  type WycheproofGroup,
} from './vectors';

interface EcdsaGroup extends WycheproofGroup {
  sha: string;
  publicKey: { curve: string; keySize: number; uncompressed: string };
  publicKeyDer?: string;
}

/** DER INTEGER of an unsigned big-endian value: minimal, and positive (0x00 prefix when the top bit is set). */
function derInteger(value: Uint8Array): number[] {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start++;
  const body = Array.from(value.subarray(start));
  if (body[0]! & 0x80) body.unshift(0);
  if (body.length >= 0x80) throw new Error('INTEGER too long for a short-form length');
  return [0x02, body.length, ...body];
}

/** A DER SEQUENCE: its length in short form below 128, else as 0x81 n (the longest here is P-521's). */
function derSequence(body: number[]): Uint8Array {
  return new Uint8Array([0x30, ...(body.length < 0x80 ? [body.length] : [0x81, body.length]), ...body]);
}

/** SEQUENCE { INTEGER r, INTEGER s } from r || s, each `size` bytes. */
function p1363ToDer(signature: Uint8Array, size: number): Uint8Array {
  if (signature.length !== 2 * size) throw new Error('not a P1363 signature of this curve');
  return derSequence([...derInteger(signature.subarray(0, size)), ...derInteger(signature.subarray(size))]);
}

/**
 * Other encodings of the same (r, s): BER or malformed, never DER. The service
 * must refuse each, or its signatures would be malleable through the encoding.
 */
function nonCanonicalVariants(p1363: Uint8Array, size: number): [string, Uint8Array][] {
  const r = derInteger(p1363.subarray(0, size));
  const s = derInteger(p1363.subarray(size));
  const sequence = derSequence;
  const padded = (integer: number[]) => [0x02, integer[1]! + 1, 0x00, ...integer.slice(2)];
  const length = r.length + s.length;
  const variants: [string, Uint8Array][] = [
    ['r with a superfluous leading 0x00', sequence([...padded(r), ...s])],
    ['s with a superfluous leading 0x00', sequence([...r, ...padded(s)])],
    // One form longer than DER's: 0x81 n where n < 128 fits in short form; 0x82 00 n where 0x81 n does.
    ['a SEQUENCE length longer than needed', new Uint8Array([0x30, ...(length < 0x80 ? [0x81, length] : [0x82, 0x00, length]), ...r, ...s])],
    ['long-form INTEGER length of r', sequence([0x02, 0x81, ...r.slice(1), ...s])],
    ['indefinite-length SEQUENCE (BER)', new Uint8Array([0x30, 0x80, ...r, ...s, 0x00, 0x00])],
    ['a trailing byte after the SEQUENCE', new Uint8Array([...sequence([...r, ...s]), 0x00])],
    ['a stray 0x00 inside the SEQUENCE', (() => {
      const honest = sequence([...r, ...s]);
      return new Uint8Array([...honest, 0x00]).map((byte, i) => (i === honest.length - length - 1 ? byte + 1 : byte));
    })()],
    ['r and s as OCTET STRINGs', sequence([0x04, ...r.slice(1), 0x04, ...s.slice(1)])],
  ];
  // Without its 0x00 sign byte, an r or s with the top bit set is a negative INTEGER.
  if (r[2] === 0x00 && r.length > 3) variants.push(['r as a negative INTEGER', sequence([0x02, r[1]! - 1, ...r.slice(3), ...s])]);
  if (s[2] === 0x00 && s.length > 3) variants.push(['s as a negative INTEGER', sequence([...r, 0x02, s[1]! - 1, ...s.slice(3)])]);
  return variants;
}

const CURVES = {
  'P-256': {
    file: 'ecdsa_secp256r1_sha256_p1363_test.json',
    wycheproofCurve: 'secp256r1',
    hash: 'SHA-256',
    size: 32,
    spec: 'ECC_NIST_P256',
    algorithm: 'ECDSA_SHA_256',
    // SubjectPublicKeyInfo { id-ecPublicKey, prime256v1 } BIT STRING header
    spkiPrefix: '3059301306072a8648ce3d020106082a8648ce3d030107034200',
  },
  'P-384': {
    file: 'ecdsa_secp384r1_sha384_p1363_test.json',
    wycheproofCurve: 'secp384r1',
    hash: 'SHA-384',
    size: 48,
    spec: 'ECC_NIST_P384',
    algorithm: 'ECDSA_SHA_384',
    spkiPrefix: '3076301006072a8648ce3d020106052b81040022036200',
  },
  'P-521': {
    file: 'ecdsa_secp521r1_sha512_p1363_test.json',
    wycheproofCurve: 'secp521r1',
    hash: 'SHA-512',
    size: 66,
    spec: 'ECC_NIST_P521',
    algorithm: 'ECDSA_SHA_512',
    spkiPrefix: '30819b301006072a8648ce3d020106052b8104002303818600',
  },
  secp256k1: {
    file: 'ecdsa_secp256k1_sha256_p1363_test.json',
    wycheproofCurve: 'secp256k1',
    hash: 'SHA-256',
    size: 32,
    spec: 'ECC_SECG_P256K1',
    algorithm: 'ECDSA_SHA_256',
    spkiPrefix: '3056301006072a8648ce3d020106052b8104000a034200',
  },
} as const satisfies Record<string, { spec: KeySpec; algorithm: SigningAlgorithm; [k: string]: unknown }>;

for (const [curveName, curve] of Object.entries(CURVES)) {
  const spkiOf = (group: EcdsaGroup) => concat(hex(curve.spkiPrefix), hex(group.publicKey.uncompressed));

  vectorSuite<EcdsaGroup>(
    curve.file,
    `ECDSA ${curveName} ${curve.hash}: verifySignature RAW and DIGEST`,
    async ({ group, test, label }) => {
      const spki = spkiOf(group);
      const message = hexField(test, 'msg');
      const digest = await sha(curve.hash, message);
      const p1363 = hexField(test, 'sig');
      const verify = (messageType: 'RAW' | 'DIGEST', signature: Uint8Array) =>
        settle(() =>
          verifySignature(curve.spec, spki, curve.algorithm, messageType, messageType === 'RAW' ? message : digest, signature),
        );

      if (p1363.length === 2 * curve.size) {
        const der = p1363ToDer(p1363, curve.size);
        expectVerdict(`${label} RAW (DER ${toHex(der).slice(0, 16)}…)`, test.result, await verify('RAW', der));
        expectVerdict(`${label} DIGEST (DER ${toHex(der).slice(0, 16)}…)`, test.result, await verify('DIGEST', der));
        if (test.result === 'valid') {
          for (const [variant, encoded] of nonCanonicalVariants(p1363, curve.size)) {
            for (const messageType of ['RAW', 'DIGEST'] as const) {
              const outcome = await verify(messageType, encoded);
              expect.soft(outcome, `${label} ${messageType}: valid (r, s) with ${variant} (${toHex(encoded).slice(0, 16)}…) must be refused`).toEqual({
                ok: true,
                value: false,
              });
            }
          }
        }
      } else {
        // Not r||s for this curve: nothing to convert. The bytes as given must be refused.
        for (const messageType of ['RAW', 'DIGEST'] as const) {
          const outcome = await verify(messageType, p1363);
          expect.soft(outcome, `${label} ${messageType}: a ${p1363.length}-byte P1363 signature given as is`).toEqual({
            ok: true,
            value: false,
          });
        }
      }
    },
    {
      groupTitle: (group, index) => `group ${index}: key ${group.publicKey.uncompressed.slice(2, 18)}…`,
      checkGroup: (group) => {
        expect(group.publicKey.curve).toBe(curve.wycheproofCurve);
        expect(group.sha).toBe(curve.hash);
        // The SPKI built from the uncompressed point is the one Wycheproof ships.
        if (group.publicKeyDer) expect(toHex(spkiOf(group))).toBe(group.publicKeyDer);
      },
    },
  );
}
