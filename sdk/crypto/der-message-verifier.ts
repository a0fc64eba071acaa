/**
 * Incremental verification of a message's DER ECDSA signature: the bytes are hashed as they go by
 * and the digest is verified at the end, so a stream never holds the message. One class for the
 * P-384 suites (ecdsa-p384.ts) and the format 1 P-256 suite (ecdsa-p256.ts), which differ only in
 * curve and hash.
 */
import type { IncrementalHash } from './message-hash';

interface DerVerifyingCurve {
  verify(signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array, options: { prehash: false; format: 'der'; lowS: false }): boolean;
}

export class DerMessageVerifier {
  constructor(
    private readonly curve: DerVerifyingCurve,
    private readonly hash: IncrementalHash,
    private readonly publicKey: Uint8Array,
  ) {}

  update(bytes: Uint8Array): this {
    this.hash.update(bytes);
    return this;
  }

  /** Checks a DER signature over everything passed to update; high-S signatures are accepted, as OpenSSL accepts them. */
  verify(signature: Uint8Array): boolean {
    try {
      return this.curve.verify(signature, this.hash.digest(), this.publicKey, { prehash: false, format: 'der', lowS: false });
    } catch {
      return false;
    }
  }
}
