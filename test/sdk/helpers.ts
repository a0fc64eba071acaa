/**
 * Shared fixtures for the SDK suites. Web platform only (no node: imports), so every suite that
 * uses them runs unchanged in Node, workerd and Chromium.
 */
import { expect } from 'vitest';
import {
  EdgeKmsError,
  RawAesKeyring,
  SUITE_AES256_HKDF_SHA512_COMMIT_KEY,
  SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
  type SuiteId,
} from '../../sdk/index';

export const SUITES: readonly { readonly id: SuiteId; readonly label: string }[] = [
  { id: SUITE_AES256_HKDF_SHA512_COMMIT_KEY, label: '0x0478' },
  { id: SUITE_AES256_HKDF_SHA512_COMMIT_KEY_ECDSA_P384, label: '0x0578' },
];

export const KEY_NAMESPACE = 'edgekms-tests';

/** A fixed 256-bit wrapping key, so fixtures written by one run decrypt in another. */
export const WRAPPING_KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 0xff);

export function rawKeyring(keyName = 'test-key', wrappingKey: Uint8Array | CryptoKey = WRAPPING_KEY): RawAesKeyring {
  return new RawAesKeyring({ keyNamespace: KEY_NAMESPACE, keyName, wrappingKey });
}

export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += 65536) {
    crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65536)));
  }
  return out;
}

export function flipBit(bytes: Uint8Array, index: number, mask = 0x01): Uint8Array<ArrayBuffer> {
  const copy = Uint8Array.from(bytes);
  copy[index]! ^= mask;
  return copy;
}

/** Awaits `promise`, which must reject with an EdgeKmsError named `name` (any name if omitted). */
export async function expectRejection(promise: Promise<unknown>, name?: string): Promise<EdgeKmsError> {
  let outcome: unknown;
  try {
    await promise;
    outcome = 'resolved';
  } catch (error) {
    outcome = error;
  }
  expect(outcome, 'the call should have been rejected').toBeInstanceOf(EdgeKmsError);
  if (name !== undefined) expect((outcome as Error).name).toBe(name);
  return outcome as EdgeKmsError;
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

export function fromHex(text: string): Uint8Array<ArrayBuffer> {
  const clean = text.replace(/\s+/g, '');
  return Uint8Array.from({ length: clean.length / 2 }, (_, i) => parseInt(clean.slice(i * 2, i * 2 + 2), 16));
}

/**
 * Byte-for-byte equality. Vitest's deep equality walks typed arrays element by element and takes
 * seconds on megabytes; this reports the first differing index instead.
 */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.byteLength, 'byte length').toBe(expected.byteLength);
  let firstDifference = -1;
  for (let i = 0; i < actual.byteLength; i++) {
    if (actual[i] !== expected[i]) {
      firstDifference = i;
      break;
    }
  }
  expect(firstDifference, 'index of the first differing byte').toBe(-1);
}
