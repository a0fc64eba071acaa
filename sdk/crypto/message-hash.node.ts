/**
 * The Node build's message-hash.ts: node:crypto's incremental hash, native and several times
 * faster than JavaScript SHA-384 (a signed stream spent most of its time hashing). Same digests;
 * the signature itself stays with @noble/curves as in every build.
 */
import { createHash } from 'node:crypto';
// Types only (erased at build): the interface both builds implement.
import type { IncrementalHash, MessageHashName } from './message-hash';

export type { IncrementalHash, MessageHashName };

export function messageHash(name: MessageHashName): IncrementalHash {
  const hash = createHash(name === 'SHA-384' ? 'sha384' : 'sha256');
  return {
    update(bytes) {
      hash.update(bytes);
    },
    digest: () => new Uint8Array(hash.digest()),
  };
}
