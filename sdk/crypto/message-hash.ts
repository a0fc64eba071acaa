/**
 * The incremental hash a stream feeds a signed message through (SHA-384 for 0x0578, SHA-256 for
 * the format 1 P-256 suite), so it can sign or verify without holding the message. WebCrypto has
 * no incremental hash, so browsers and Workers use @noble/hashes; the Node build swaps in
 * message-hash.node.ts (node:crypto's native hash, sdk/node-build.mjs), the same digests.
 */
import { sha256, sha384 } from '@noble/hashes/sha2.js';

export interface IncrementalHash {
  update(bytes: Uint8Array): unknown;
  digest(): Uint8Array;
}

export type MessageHashName = 'SHA-256' | 'SHA-384';

export function messageHash(name: MessageHashName): IncrementalHash {
  return (name === 'SHA-384' ? sha384 : sha256).create();
}
