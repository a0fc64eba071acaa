/**
 * ECDSA verification with P-256 and SHA-256, for reading messages of the format 1 suite 0x0214
 * (never written): the same construction as ecdsa-p384.ts on the smaller curve. The signature
 * covers header and body, DER-encoded; the key is the compressed point in the context.
 */
import { p256 } from '@noble/curves/nist.js';
import { MalformedMessageError } from '../errors';
import { DerMessageVerifier } from './der-message-verifier';
import { messageHash } from './message-hash';

export function checkP256VerificationKey(publicKey: Uint8Array): void {
  if (!p256.utils.isValidPublicKey(publicKey, true)) {
    throw new MalformedMessageError('aws-crypto-public-key is not a compressed P-256 point');
  }
}

export class P256MessageVerifier extends DerMessageVerifier {
  constructor(publicKey: Uint8Array) {
    super(p256, messageHash('SHA-256'), publicKey);
  }
}
