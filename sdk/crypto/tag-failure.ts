import { AuthenticationError } from '../errors';

/**
 * What a failed AES-GCM open or unwrap throws, in both builds (aes-gcm.ts, aes-gcm.node.ts): on
 * well-formed arguments only a bad tag makes one fail.
 */
export function tagFailure(what: string, cause?: unknown): AuthenticationError {
  return new AuthenticationError(`${what}: authentication tag did not verify`, cause === undefined ? undefined : { cause });
}
