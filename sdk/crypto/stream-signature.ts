/**
 * How the streams sign and verify a P-384 message (suite 0x0578 and its format 1 kin): natively
 * when the message turns out small, incrementally when it does not.
 *
 * A stream cannot know its message's length in advance. It keeps a copy of the bytes it signs
 * while they total at most NATIVE_SIGNATURE_LIMIT; if the message ends within it, the signature
 * is made or checked over them in one WebCrypto call, as the buffer API does (signMessage and
 * verifyMessage in ecdsa-p384.ts: the browser's own SHA-384 and ECDSA). Once the bytes pass the
 * limit, the copy is hashed into an incremental signer or verifier (JavaScript SHA-384 in
 * browsers and Workers, node:crypto's in Node), dropped, and every later byte goes there. Both
 * ways give the same DER signatures over the same bytes.
 *
 * Why: in Chromium, @noble/hashes' SHA-384 runs at about the speed of the official SDK's whole
 * buffer encrypt, so an incremental 1 MiB signed stream could not come near it (0.7x); and the
 * signature itself in JavaScript (@noble/curves) costs milliseconds that WebCrypto does not. The
 * price is memory: a signed stream holds up to NATIVE_SIGNATURE_LIMIT bytes of its message.
 */
import type { Bytes } from '../bytes';
import { MessageSigner, MessageVerifier, signMessage, verifyMessage } from './ecdsa-p384';

/** Messages up to this many bytes (header, frames) are signed and verified natively: 4 MiB. */
export const NATIVE_SIGNATURE_LIMIT = 4 * 1024 * 1024;

/** Copies of the bytes seen so far, while they fit under the limit. */
class HeldMessage {
  private parts: Bytes[] | undefined = [];
  private length = 0;

  /**
   * Keeps a copy of `bytes` (the caller may reuse or hand out its array) and returns true, or
   * returns false, having kept nothing, once the message would pass the limit.
   */
  hold(bytes: Uint8Array): boolean {
    if (this.parts === undefined || this.length + bytes.byteLength > NATIVE_SIGNATURE_LIMIT) return false;
    this.parts.push(bytes.slice());
    this.length += bytes.byteLength;
    return true;
  }

  /** Everything held, handed to `feed` in order, then forgotten. */
  release(feed: (bytes: Uint8Array) => void): void {
    for (const part of this.parts ?? []) feed(part);
    this.parts = undefined;
  }

  /** Everything held, as one array. */
  joined(): Bytes {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const part of this.parts ?? []) {
      out.set(part, offset);
      offset += part.byteLength;
    }
    return out;
  }
}

/**
 * Bytes go to the held copy until it would pass the limit, then (the copy first) to the
 * incremental signer or verifier `startIncremental` makes, once.
 */
abstract class NativeOrIncremental<Incremental extends { update(bytes: Uint8Array): unknown }> {
  protected readonly held = new HeldMessage();
  protected incremental: Incremental | undefined;

  protected abstract startIncremental(): Incremental;

  update(bytes: Uint8Array): this {
    if (this.incremental === undefined && !this.held.hold(bytes)) {
      const incremental = this.startIncremental();
      this.held.release((part) => incremental.update(part));
      this.incremental = incremental;
    }
    this.incremental?.update(bytes);
    return this;
  }
}

export class StreamSigner extends NativeOrIncremental<MessageSigner> {
  constructor(private readonly secretKey: Uint8Array) {
    super();
  }

  protected startIncremental(): MessageSigner {
    return new MessageSigner(this.secretKey);
  }

  /** DER signature over everything passed to update. */
  async sign(): Promise<Uint8Array> {
    return this.incremental?.sign() ?? signMessage(this.secretKey, this.held.joined());
  }
}

export class StreamVerifier extends NativeOrIncremental<MessageVerifier> {
  constructor(private readonly publicKey: Uint8Array) {
    super();
  }

  protected startIncremental(): MessageVerifier {
    return new MessageVerifier(this.publicKey);
  }

  /** Checks a DER signature over everything passed to update (high-S accepted, as verifyMessage). */
  async verify(signature: Uint8Array): Promise<boolean> {
    if (this.incremental !== undefined) return this.incremental.verify(signature);
    return verifyMessage(this.publicKey, this.held.joined(), signature);
  }
}
