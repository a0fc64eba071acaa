import { describe, expect, it } from 'vitest';
import * as errors from '../../worker/errors';

/** Every error class the service exports, by its wire name. */
/** What an instance made with `message` says: nothing, for the names AWS sends without one. */
const said = (name: string, message: string) => (errors.WITHOUT_MESSAGE.has(name as errors.KmsErrorName) ? '' : message);

const classes = Object.entries(errors).filter(
  ([, value]) => typeof value === 'function' && value.prototype instanceof errors.KmsError,
) as Array<[string, new (message: string) => errors.KmsError]>;

describe('the error table', () => {
  it('makes one class per AWS error name, whose instances carry that name', () => {
    expect(classes.length).toBeGreaterThanOrEqual(28);
    for (const [exported, cls] of classes) {
      const error = new cls('why');
      expect(error.name).toBe(exported);
      expect(error.toJSON()).toEqual({ __type: exported, message: said(exported, 'why') });
      expect(error).toBeInstanceOf(Error);
    }
  });

  it('revives every error that crosses a Durable Object boundary as its own class and status', () => {
    for (const [exported, cls] of classes) {
      const original = new cls('across RPC');
      const revived = errors.reviveError(errors.serializeError(original));
      expect(revived).toBeInstanceOf(cls);
      expect(revived.status).toBe(original.status);
      expect(revived.message).toBe(said(exported, 'across RPC'));
    }
    expect(errors.reviveError({ name: 'NoSuchError', message: 'x' })).toBeInstanceOf(errors.KMSInternalException);
  });

  it('sends InvalidCiphertextException, KMSInvalidSignatureException and KMSInvalidMacException without a message, as AWS KMS does', () => {
    for (const cls of [errors.InvalidCiphertextException, errors.KMSInvalidSignatureException, errors.KMSInvalidMacException]) {
      expect(new cls('the tag does not match').message).toBe('');
    }
    expect(new errors.ValidationException('kept').message).toBe('kept');
  });

  it('answers the statuses AWS KMS clients expect on the native protocol', () => {
    expect(new errors.ValidationException('').status).toBe(400);
    expect(new errors.AccessDeniedException('').status).toBe(403);
    expect(new errors.NotFoundException('').status).toBe(404);
    expect(new errors.KMSInvalidStateException('').status).toBe(409);
    expect(new errors.ThrottlingException('', 3)).toMatchObject({ status: 429, retryAfterSeconds: 3 });
    expect(new errors.KMSInternalException('').status).toBe(500);
  });
});
