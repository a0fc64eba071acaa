import { openMarker, sealMarker } from '../crypto/marker-mac';
import type { RootKeySet } from '../crypto/root-keys';
import { InvalidMarkerException } from '../errors';
import type { VerificationState } from './account-trail';

/**
 * The NextMarker of a verification carries its state (account-trail.ts):
 * where it stopped and what it has found so far, sealed (crypto/marker-mac.ts)
 * so that the last page's verdict covers only work the service did. The
 * scope names what the verification walks: the account, or one key's chain.
 */
const VERSION = 1;
/** A record's request id travels in the marker only if this short: the Marker field holds 1024 characters. */
const MAX_REQUEST_ID = 64;

interface Wire {
  v: number;
  c: string;
  a?: number;
  h?: string;
  n: number;
  k: number;
  r: number;
  f?: { c: string; s: number; w: string; q?: string };
}

export function verificationScope(account: string, keyId?: string): string {
  return keyId === undefined ? `audit verification of account ${account}` : `audit verification of key ${account}/${keyId}`;
}

export function encodeVerificationMarker(roots: RootKeySet, scope: string, state: VerificationState): Promise<string> {
  const { firstInvalid } = state;
  const wire: Wire = {
    v: VERSION,
    c: state.source,
    ...(state.progress && { a: state.progress.afterSequence, h: state.progress.previousHash }),
    n: state.chainRecords,
    k: state.chainsVerified,
    r: state.recordsVerified,
    ...(firstInvalid && {
      f: {
        c: firstInvalid.source,
        s: firstInvalid.sequence,
        w: firstInvalid.reason,
        ...(firstInvalid.requestId !== undefined && firstInvalid.requestId.length <= MAX_REQUEST_ID && { q: firstInvalid.requestId }),
      },
    }),
  };
  return sealMarker(roots, scope, new TextEncoder().encode(JSON.stringify(wire)));
}

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

export async function decodeVerificationMarker(roots: RootKeySet, scope: string, marker: string | undefined): Promise<VerificationState | undefined> {
  if (marker === undefined) return undefined;
  const invalid = () => new InvalidMarkerException('The Marker is not one this service issued.');
  const payload = await openMarker(roots, scope, marker);
  if (!payload) throw invalid();
  let wire: Wire;
  try {
    wire = JSON.parse(new TextDecoder().decode(payload)) as Wire;
  } catch {
    throw invalid();
  }
  // Sealed by this service, so well formed unless written by another version of it.
  if (wire.v !== VERSION || typeof wire.c !== 'string' || !isCount(wire.n) || !isCount(wire.k) || !isCount(wire.r)) throw invalid();
  return {
    source: wire.c,
    ...(isCount(wire.a) && typeof wire.h === 'string' && { progress: { afterSequence: wire.a, previousHash: wire.h } }),
    chainRecords: wire.n,
    chainsVerified: wire.k,
    recordsVerified: wire.r,
    ...(wire.f && {
      firstInvalid: { source: wire.f.c, sequence: wire.f.s, reason: wire.f.w, ...(wire.f.q !== undefined && { requestId: wire.f.q }) },
    }),
  };
}
