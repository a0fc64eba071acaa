import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createKey, kms, refused } from './helpers';

describe('authentication', () => {
  it('refuses a missing, malformed or wrong bearer token with 401', async () => {
    for (const token of [null, '']) {
      const response = await refused('ListKeys', {}, 'UnauthenticatedException', { token });
      expect(response.status).toBe(401);
    }
    for (const token of ['wrong-token', 'test-admin-token-but-longer', 'test-admin-toke']) {
      const response = await refused('ListKeys', {}, 'InvalidTokenException', { token });
      expect(response.status).toBe(401);
    }
    const basic = await SELF.fetch('https://kms.test/v1/ListKeys', { method: 'POST', headers: { authorization: 'Basic dGVzdA==' }, body: '{}' });
    expect(basic.status).toBe(401);
  });

  it('does not reveal whether an operation exists to an unauthenticated caller', async () => {
    const response = await refused('NoSuchOperation', {}, 'UnauthenticatedException', { token: null });
    expect(response.status).toBe(401);
  });
});

describe('malformed requests', () => {
  it('refuses malformed JSON and non-object bodies with SerializationException', async () => {
    for (const raw of ['{', 'not json', '[]', '"string"', '42', 'null', '{"KeyId":']) {
      await refused('DescribeKey', undefined, 'SerializationException', { raw });
    }
  });

  it('refuses wrong types with ValidationException naming the field', async () => {
    const keyId = await createKey();
    const cases: Array<[string, Record<string, unknown>]> = [
      ['DescribeKey', { KeyId: 42 }],
      ['DescribeKey', {}],
      ['Encrypt', { KeyId: keyId, Plaintext: 123 }],
      ['Encrypt', { KeyId: keyId, Plaintext: 'aGk=', EncryptionContext: { a: 1 } }],
      ['Encrypt', { KeyId: keyId, Plaintext: 'aGk=', EncryptionContext: ['a'] }],
      ['Encrypt', { KeyId: [keyId], Plaintext: 'aGk=' }],
      ['GenerateDataKey', { KeyId: keyId, NumberOfBytes: '32' }],
      ['GenerateDataKey', { KeyId: keyId, NumberOfBytes: 3.5 }],
      ['CreateKey', { Tags: 'team=red' }],
      ['CreateKey', { Description: null }],
      ['ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: '7' }],
      ['Sign', { KeyId: keyId, Message: 'aGk=', SigningAlgorithm: 'ECDSA_SHA_256', MessageType: 'HASH' }],
    ];
    for (const [operation, body] of cases) {
      const response = await refused(operation, body, 'ValidationException');
      expect(response.body.message).toMatch(/validation error/);
    }
  });

  it('refuses invalid base64 in binary fields', async () => {
    const keyId = await createKey();
    for (const Plaintext of ['aGk', 'a=Gk', 'aGk=\n', '****', 'aGk==']) {
      await refused('Encrypt', { KeyId: keyId, Plaintext }, 'ValidationException');
    }
  });

  it('refuses oversized bodies', async () => {
    const keyId = await createKey();
    await refused('Encrypt', { KeyId: keyId, Plaintext: 'A'.repeat(300_000) }, 'ValidationException');
  });

  it('answers unknown operations and prototype names with UnknownOperationException', async () => {
    for (const operation of ['DoesNotExist', 'constructor', '__proto__', 'toString', 'createKey']) {
      const response = await refused(operation, {}, 'UnknownOperationException');
      expect(response.status).toBe(404);
    }
  });

  it('answers other methods and paths under /v1 with a typed 4xx, never a 500', async () => {
    for (const [method, path] of [
      ['GET', '/v1/ListKeys'],
      ['PUT', '/v1/ListKeys'],
      ['DELETE', '/v1/CreateKey'],
      ['POST', '/v1'],
      ['POST', '/v1/ListKeys/extra'],
      ['POST', '/elsewhere'],
    ] as const) {
      const response = await SELF.fetch(`https://kms.test${path}`, { method, headers: { authorization: 'Bearer test-admin-token' }, body: method === 'GET' ? undefined : '{}' });
      expect(response.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
      expect(response.status, `${method} ${path}`).toBeLessThan(500);
    }
  });

  it('the benchmark baseline route is off unless BENCH_ROUTES is set', async () => {
    const response = await SELF.fetch('https://kms.test/bench/bare-wrap', { method: 'POST', headers: { authorization: 'Bearer test-admin-token' }, body: '{}' });
    expect(response.status).toBe(404);
  });

  it('every response carries a request id', async () => {
    const response = await kms('ListKeys', {});
    expect(response.status).toBe(200);
    const raw = await SELF.fetch('https://kms.test/v1/ListKeys', { method: 'POST', headers: { authorization: 'Bearer nope' }, body: '{}' });
    expect(raw.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
