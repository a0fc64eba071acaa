import { createHash, createHmac } from 'node:crypto';

/** SHA-256 / HMAC-SHA-256 for smithy's signer, on node:crypto. */
export class NodeSha256 {
  constructor(secret) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret));
  }
  update(data) {
    this.hash.update(typeof data === 'string' ? data : Buffer.from(data.buffer ?? data, data.byteOffset ?? 0, data.byteLength));
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
}
