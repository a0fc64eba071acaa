/**
 * ECDSA with P-384 and SHA-384 for the signed suite (0x0578), as the format requires
 * (spec: framework/transitive-requirements.md#ecdsa): the signature covers header and body and is
 * DER-encoded (SEC 1 ECDSA-Sig-Value); the verification key travels in the encryption context as
 * base64 of the compressed point.
 *
 * WebCrypto can only sign a complete message, so hashing is incremental (@noble/hashes) and the
 * curve arithmetic is @noble/curves: a streamed message is hashed as its bytes go by, never held.
 */
import { p384 } from '@noble/curves/nist.js';
import { sha384 } from '@noble/hashes/sha2.js';
import { MalformedMessageError } from '../errors';

export interface SigningKeyPair {
  readonly secretKey: Uint8Array;
  /** SEC 1 compressed point, 49 bytes. */
  readonly publicKey: Uint8Array;
}

/** A fresh key pair per message, as the default materials manager does in the official SDK. */
export function generateSigningKeyPair(): SigningKeyPair {
  const secretKey = p384.utils.randomSecretKey();
  return { secretKey, publicKey: p384.getPublicKey(secretKey, true) };
}

/** Validates an encoded verification key up front, so a bad one is a format error, not a bad signature. */
export function checkVerificationKey(publicKey: Uint8Array): void {
  if (!p384.utils.isValidPublicKey(publicKey, true)) {
    throw new MalformedMessageError('aws-crypto-public-key is not a compressed P-384 point');
  }
}

export class MessageSigner {
  private readonly hash = sha384.create();

  constructor(private readonly secretKey: Uint8Array) {}

  update(bytes: Uint8Array): this {
    this.hash.update(bytes);
    return this;
  }

  /** DER signature over everything passed to update. Hedged (random + RFC 6979) nonces. */
  sign(): Uint8Array {
    return p384.sign(this.hash.digest(), this.secretKey, { prehash: false, format: 'der', extraEntropy: true });
  }
}

export class MessageVerifier {
  private readonly hash = sha384.create();

  constructor(private readonly publicKey: Uint8Array) {}

  update(bytes: Uint8Array): this {
    this.hash.update(bytes);
    return this;
  }

  /**
   * Checks a DER signature over everything passed to update. High-S signatures are accepted:
   * OpenSSL (the official SDK in Node) does not normalise s, and the format does not require it.
   */
  verify(signature: Uint8Array): boolean {
    try {
      return p384.verify(signature, this.hash.digest(), this.publicKey, { prehash: false, format: 'der', lowS: false });
    } catch {
      return false;
    }
  }
}
