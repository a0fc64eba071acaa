/**
 * The caller's check on a message's encryption context. Every entry the caller expects must be
 * in the message with the same value; the message may carry more (for signed suites it always
 * carries the public key). This is how a reader insists that a message is, say, for tenant
 * "acme" before trusting its plaintext.
 */
import { ContextMismatchError, InvalidArgumentError } from './errors';
import type { EncryptionContext } from './materials';

export function checkExpectedContext(actual: EncryptionContext, expected: EncryptionContext | undefined): void {
  if (expected === undefined) return;
  if (typeof expected !== 'object' || expected === null) throw new InvalidArgumentError('expectedContext must be an object of strings');
  for (const [key, value] of Object.entries(expected)) {
    if (typeof value !== 'string') throw new InvalidArgumentError(`expectedContext value of "${key}" must be a string`);
    // Own properties only: "toString" or "__proto__" must not be found on the prototype.
    if (!Object.prototype.hasOwnProperty.call(actual, key)) {
      throw new ContextMismatchError(`the message's encryption context has no "${key}" entry`);
    }
    if (actual[key] !== value) throw new ContextMismatchError(`the message's encryption context differs on "${key}"`);
  }
}
