/**
 * SHA-256 of a stream as it passes, for showing that what was decrypted is what was uploaded.
 * WebCrypto's digest takes the whole input at once; an incremental hash keeps a 100 MiB file
 * streaming instead of buffered.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from './dom';

export interface Meter {
  /** Passes chunks through unchanged, hashing and counting them. */
  readonly stream: TransformStream<Uint8Array, Uint8Array>;
  /** Hex SHA-256 of everything that passed; call once the stream has ended. */
  digest(): string;
}

export function meter(onProgress: (bytes: number) => void): Meter {
  const hash = sha256.create();
  let bytes = 0;
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      hash.update(chunk);
      bytes += chunk.byteLength;
      onProgress(bytes);
      controller.enqueue(chunk);
    },
  });
  return { stream, digest: () => toHex(hash.digest()) };
}
