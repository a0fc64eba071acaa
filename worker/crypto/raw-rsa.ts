/**
 * The one place that reaches for `node:crypto`: WebCrypto cannot sign or
 * verify a digest the caller already computed (MessageType DIGEST), so RSA
 * DIGEST signatures are built from the RSA primitive itself. BoringSSL blinds
 * the private operation; the paddings are encoded in `rsa-padding.ts`.
 */
import { constants, privateEncrypt, publicDecrypt } from 'node:crypto';

function pem(label: 'PRIVATE KEY' | 'PUBLIC KEY', der: Uint8Array): string {
  const lines = der.toBase64().match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** m^d mod n on a message the size of the modulus. */
export function rsaPrivate(pkcs8: Uint8Array, message: Uint8Array): Uint8Array {
  return new Uint8Array(privateEncrypt({ key: pem('PRIVATE KEY', pkcs8), padding: constants.RSA_NO_PADDING }, message));
}

/** s^e mod n; throws when the signature is not an integer below the modulus. */
export function rsaPublic(spki: Uint8Array, signature: Uint8Array): Uint8Array {
  return new Uint8Array(publicDecrypt({ key: pem('PUBLIC KEY', spki), padding: constants.RSA_NO_PADDING }, signature));
}
