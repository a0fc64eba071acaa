/**
 * The service client against a fake `fetch`: retries, backoff, Retry-After, timeouts, the
 * caller's signal, typed errors and the base64 codec. Web platform only, so it runs unchanged in
 * Node, workerd and Chromium; the real service is exercised in test/workers/sdk-keyring.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  type ClientOptions,
  EdgeKmsError,
  InvalidArgumentError,
  KmsNetworkError,
  KmsServiceError,
  KmsTimeoutError,
  createClient,
  isKmsServiceError,
} from '../../sdk/index';

interface Call {
  url: string;
  init: RequestInit;
}

type Reply = Response | Error | 'hang';

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': `req-${status}-${Math.random()}`, ...headers },
  });
}

const failure = (status: number, type: string, headers: Record<string, string> = {}) =>
  json(status, { __type: type, message: `${type} happened` }, headers);

/** A fetch that answers from a script, one reply per call, and records every call. */
function scriptedFetch(replies: Reply[]) {
  const calls: Call[] = [];
  const fetch = (url: string, init: RequestInit): Promise<Response> => {
    calls.push({ url, init });
    const reply = replies.shift();
    if (reply === undefined) return Promise.reject(new Error('no more scripted replies'));
    if (reply === 'hang') {
      return new Promise((_resolve, reject) => {
        const signal = init.signal!;
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    }
    return reply instanceof Error ? Promise.reject(reply) : Promise.resolve(reply);
  };
  return { fetch, calls };
}

/** A client on a scripted fetch whose waits are recorded instead of slept. */
function setup(replies: Reply[], options: Partial<ClientOptions> = {}) {
  const { fetch, calls } = scriptedFetch(replies);
  const sleeps: number[] = [];
  let tokens = 0;
  const client = createClient({
    endpoint: 'https://kms.example/',
    getToken: () => `token-${++tokens}`,
    fetch,
    random: () => 0.5,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
    },
    ...options,
  });
  return { client, calls, sleeps };
}

const DATA_KEY = { KeyId: 'arn:aws:kms:us-east-1:111122223333:key/k1', Plaintext: 'AAECAw==', CiphertextBlob: 'BAUG' };

describe('client: requests and responses', () => {
  it('POSTs the operation to <endpoint>/v1/<Operation> with the bearer token and base64 bytes', async () => {
    const { client, calls } = setup([json(200, { KeyId: 'arn:k', CiphertextBlob: 'AQID' }, { 'x-amzn-requestid': 'req-1' })]);
    const output = await client.encrypt({ KeyId: 'k1', Plaintext: new Uint8Array([0xfb, 0xff, 0x00]), EncryptionContext: { a: 'b' } });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe('https://kms.example/v1/Encrypt');
    expect(calls[0]!.init.method).toBe('POST');
    expect(new Headers(calls[0]!.init.headers).get('authorization')).toBe('Bearer token-1');
    expect(JSON.parse(calls[0]!.init.body as string)).toEqual({ KeyId: 'k1', Plaintext: '+/8A', EncryptionContext: { a: 'b' } });
    expect(output.CiphertextBlob).toEqual(new Uint8Array([1, 2, 3]));
    expect(output.KeyId).toBe('arn:k');
    expect(output.$metadata).toEqual({ requestId: 'req-1', status: 200, attempts: 1 });
  });

  it('decodes the binary fields of any operation sent with send(), and leaves the others alone', async () => {
    const { client, calls } = setup([json(200, { ...DATA_KEY, Note: 'AAECAw==' })]);
    const output = await client.send<{ Plaintext: Uint8Array; CiphertextBlob: Uint8Array; Note: string }>('GenerateDataKey', {
      KeyId: 'k1',
      NumberOfBytes: 4,
    });
    expect(calls[0]!.url).toBe('https://kms.example/v1/GenerateDataKey');
    expect(output.Plaintext).toEqual(new Uint8Array([0, 1, 2, 3]));
    expect(output.CiphertextBlob).toEqual(new Uint8Array([4, 5, 6]));
    expect(output.Note).toBe('AAECAw==');
  });

  it('asks for a token before every attempt, sync or async', async () => {
    let n = 0;
    const { client, calls } = setup([failure(503, 'KMSInternalException'), json(200, DATA_KEY)], {
      getToken: async () => `async-${++n}`,
    });
    await client.generateDataKey({ KeyId: 'k1', KeySpec: 'AES_256' });
    expect(calls.map((call) => new Headers(call.init.headers).get('authorization'))).toEqual(['Bearer async-1', 'Bearer async-2']);
  });

  it('sends the region it is given as x-edgekms-region, and none without one', async () => {
    const { client, calls } = setup([json(200, DATA_KEY), json(200, DATA_KEY)], { region: 'eu-west-1' });
    await client.generateDataKey({ KeyId: 'alias/app', KeySpec: 'AES_256' });
    expect(new Headers(calls[0]!.init.headers).get('x-edgekms-region')).toBe('eu-west-1');
    const plain = setup([json(200, DATA_KEY)]);
    await plain.client.generateDataKey({ KeyId: 'alias/app', KeySpec: 'AES_256' });
    expect(new Headers(plain.calls[0]!.init.headers).has('x-edgekms-region')).toBe(false);
    expect(() => createClient({ endpoint: 'https://kms.example', getToken: () => 't', region: 'eu-west-1\r\nx: y' })).toThrow(InvalidArgumentError);
  });

  it('refuses bad options and operation names', async () => {
    expect(() => createClient({ endpoint: 'kms.example', getToken: () => 't' })).toThrow(InvalidArgumentError);
    expect(() => createClient({ endpoint: 'https://kms.example', getToken: undefined as never })).toThrow(InvalidArgumentError);
    expect(() => createClient({ endpoint: 'https://kms.example', getToken: () => 't', retries: -1 })).toThrow(InvalidArgumentError);
    const { client, calls } = setup([]);
    await expect(client.send('../admin')).rejects.toThrow(InvalidArgumentError);
    expect(calls).toHaveLength(0);
  });
});

describe('client: typed errors', () => {
  it('a service error becomes KmsServiceError named after __type, with status and request id', async () => {
    const { client, calls } = setup([failure(403, 'AccessDeniedException', { 'x-amzn-requestid': 'req-denied' })]);
    const error = await client.decrypt({ CiphertextBlob: new Uint8Array(8) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsServiceError);
    expect(error).toBeInstanceOf(EdgeKmsError);
    expect(error).toMatchObject({
      name: 'AccessDeniedException',
      message: 'AccessDeniedException happened',
      status: 403,
      requestId: 'req-denied',
      operation: 'Decrypt',
      attempts: 1,
    });
    expect(isKmsServiceError(error, 'AccessDeniedException')).toBe(true);
    expect(isKmsServiceError(error, 'DisabledException')).toBe(false);
    expect(calls).toHaveLength(1);
  });

  it('reads AWS-qualified error names and non-JSON error bodies', async () => {
    const { client } = setup([json(400, { __type: 'com.amazonaws.kms#NotFoundException', message: 'gone' })]);
    await expect(client.describeKey({ KeyId: 'k' })).rejects.toMatchObject({ name: 'NotFoundException', message: 'gone', status: 400 });
    const { client: second } = setup([new Response('<html>bad gateway</html>', { status: 502 })], { retries: 0 });
    await expect(second.describeKey({ KeyId: 'k' })).rejects.toMatchObject({ name: 'HttpError502', status: 502 });
  });

  it('a 200 whose body is not JSON is an error, not an empty output', async () => {
    const { client } = setup([new Response('not json', { status: 200 })]);
    await expect(client.describeKey({ KeyId: 'k' })).rejects.toMatchObject({ name: 'InvalidResponseError', status: 200 });
  });
});

describe('client: retries', () => {
  it('retries a 429 after the Retry-After it was given, then succeeds', async () => {
    const { client, calls, sleeps } = setup([failure(429, 'ThrottlingException', { 'retry-after': '2' }), json(200, DATA_KEY)]);
    const output = await client.generateDataKey({ KeyId: 'k1', KeySpec: 'AES_256' });
    expect(calls).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
    // Never sooner than asked, with at most the base delay of jitter on top.
    expect(sleeps[0]).toBeGreaterThanOrEqual(2000);
    expect(sleeps[0]).toBeLessThan(2100);
    expect(output.$metadata.attempts).toBe(2);
  });

  it('reads Retry-After as an HTTP date too', async () => {
    const when = new Date(Date.now() + 5000).toUTCString();
    const { client, sleeps } = setup([failure(429, 'ThrottlingException', { 'retry-after': when }), json(200, DATA_KEY)]);
    await client.generateDataKey({ KeyId: 'k1', KeySpec: 'AES_256' });
    expect(sleeps[0]).toBeGreaterThan(3000);
    expect(sleeps[0]).toBeLessThanOrEqual(5100);
  });

  it('retries 5xx with jittered exponential backoff', async () => {
    const { client, calls, sleeps } = setup(
      [failure(500, 'KMSInternalException'), failure(503, 'ServiceUnavailable'), failure(500, 'KMSInternalException'), json(200, DATA_KEY)],
      { random: () => 0.999 },
    );
    await client.generateDataKey({ KeyId: 'k1', KeySpec: 'AES_256' });
    expect(calls).toHaveLength(4);
    // Full jitter below 100, 200, 400 ms.
    expect(sleeps).toEqual([99, 199, 399]);
  });

  it('draws the jitter: a random of 0 retries at once', async () => {
    const { client, sleeps } = setup([failure(500, 'KMSInternalException'), json(200, DATA_KEY)], { random: () => 0 });
    await client.generateDataKey({ KeyId: 'k1', KeySpec: 'AES_256' });
    expect(sleeps).toEqual([0]);
  });

  it('caps the backoff at maxDelayMs', async () => {
    const replies: Reply[] = Array.from({ length: 6 }, () => failure(500, 'KMSInternalException'));
    const { client, sleeps } = setup([...replies, json(200, DATA_KEY)], {
      random: () => 0.999,
      retries: { retries: 6, baseDelayMs: 100, maxDelayMs: 500 },
    });
    await client.generateDataKey({ KeyId: 'k1', KeySpec: 'AES_256' });
    expect(sleeps).toEqual([99, 199, 399, 499, 499, 499]);
  });

  it('never retries other 4xx', async () => {
    for (const [status, type] of [
      [400, 'ValidationException'],
      [400, 'InvalidCiphertextException'],
      [401, 'InvalidTokenException'],
      [403, 'AccessDeniedException'],
      [404, 'NotFoundException'],
      [409, 'DisabledException'],
    ] as const) {
      const { client, calls, sleeps } = setup([failure(status, type), json(200, DATA_KEY)]);
      await expect(client.generateDataKey({ KeyId: 'k1', KeySpec: 'AES_256' })).rejects.toMatchObject({ name: type, status, attempts: 1 });
      expect(calls).toHaveLength(1);
      expect(sleeps).toHaveLength(0);
    }
  });

  it('gives up after `retries` retries and surfaces the last error', async () => {
    const replies: Reply[] = Array.from({ length: 5 }, () => failure(429, 'ThrottlingException', { 'retry-after': '1' }));
    const { client, calls, sleeps } = setup(replies, { retries: 3 });
    const error = await client.encrypt({ KeyId: 'k', Plaintext: new Uint8Array(1) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsServiceError);
    expect(error).toMatchObject({ name: 'ThrottlingException', status: 429, attempts: 4, retryAfterSeconds: 1 });
    expect(calls).toHaveLength(4);
    expect(sleeps).toHaveLength(3);
  });

  it('with retries: 0 the first 429 surfaces as a typed ThrottlingException', async () => {
    const { client, calls } = setup([failure(429, 'ThrottlingException', { 'retry-after': '3' })], { retries: 0 });
    await expect(client.encrypt({ KeyId: 'k', Plaintext: new Uint8Array(1) })).rejects.toMatchObject({
      name: 'ThrottlingException',
      retryAfterSeconds: 3,
      attempts: 1,
    });
    expect(calls).toHaveLength(1);
  });

  it('does not wait longer than maxDelayMs for a Retry-After: it surfaces the error instead', async () => {
    const { client, calls, sleeps } = setup([failure(429, 'ThrottlingException', { 'retry-after': '3600' }), json(200, DATA_KEY)]);
    await expect(client.generateDataKey({ KeyId: 'k1', KeySpec: 'AES_256' })).rejects.toMatchObject({
      name: 'ThrottlingException',
      retryAfterSeconds: 3600,
    });
    expect(calls).toHaveLength(1);
    expect(sleeps).toHaveLength(0);
  });

  it('retries network errors, then surfaces KmsNetworkError with the cause', async () => {
    const cause = new TypeError('fetch failed');
    const { client, calls } = setup([new TypeError('fetch failed'), cause], { retries: 1 });
    const error = await client.describeKey({ KeyId: 'k' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsNetworkError);
    expect(error).toMatchObject({ name: 'KmsNetworkError', operation: 'DescribeKey', attempts: 2, cause });
    expect(calls).toHaveLength(2);
  });

  it('a network error followed by success succeeds', async () => {
    const { client } = setup([new TypeError('connection reset'), json(200, DATA_KEY)]);
    expect((await client.generateDataKey({ KeyId: 'k1', KeySpec: 'AES_256' })).$metadata.attempts).toBe(2);
  });
});

describe('client: timeouts and cancellation', () => {
  it('aborts an attempt after timeoutMs through its AbortSignal and reports KmsTimeoutError', async () => {
    const { client, calls } = setup(['hang'], { timeoutMs: 20, retries: 0 });
    const error = await client.describeKey({ KeyId: 'k' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsTimeoutError);
    expect(error).toMatchObject({ name: 'KmsTimeoutError', timeoutMs: 20, attempts: 1 });
    expect(calls[0]!.init.signal!.aborted).toBe(true);
  });

  it('retries a timed-out attempt', async () => {
    const { client, calls } = setup(['hang', json(200, DATA_KEY)], { timeoutMs: 20 });
    expect((await client.generateDataKey({ KeyId: 'k1', KeySpec: 'AES_256' })).$metadata.attempts).toBe(2);
    expect(calls).toHaveLength(2);
  });

  it('honours the caller’s signal: rejects with its reason and does not retry', async () => {
    const { client, calls } = setup(['hang', json(200, DATA_KEY)], { timeoutMs: 0 });
    const controller = new AbortController();
    const reason = new Error('user navigated away');
    const pending = client.describeKey({ KeyId: 'k' }, { signal: controller.signal });
    await Promise.resolve();
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.init.signal!.aborted).toBe(true);
  });

  it('an already aborted signal sends nothing', async () => {
    const { client, calls } = setup([json(200, DATA_KEY)]);
    const controller = new AbortController();
    controller.abort(new Error('too late'));
    await expect(client.describeKey({ KeyId: 'k' }, { signal: controller.signal })).rejects.toThrow('too late');
    expect(calls).toHaveLength(0);
  });

  it('an abort during the wait before a retry ends the call', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    const { client, calls } = setup([failure(503, 'KMSInternalException'), json(200, DATA_KEY)], {
      sleep: async (_ms, signal) => {
        controller.abort(reason);
        signal?.throwIfAborted();
      },
    });
    await expect(client.describeKey({ KeyId: 'k' }, { signal: controller.signal })).rejects.toBe(reason);
    expect(calls).toHaveLength(1);
  });

  it('the default sleep really waits and is cut short by an abort', async () => {
    const { fetch, calls } = scriptedFetch([failure(503, 'KMSInternalException'), json(200, DATA_KEY)]);
    const client = createClient({ endpoint: 'https://kms.example', getToken: () => 't', fetch, retries: { baseDelayMs: 30 }, random: () => 0.999 });
    const started = Date.now();
    await client.generateDataKey({ KeyId: 'k1', KeySpec: 'AES_256' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(20);
    expect(calls).toHaveLength(2);

    const { fetch: fetch2 } = scriptedFetch([failure(503, 'KMSInternalException'), json(200, DATA_KEY)]);
    const slow = createClient({ endpoint: 'https://kms.example', getToken: () => 't', fetch: fetch2, retries: { baseDelayMs: 60_000 }, random: () => 0.999 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('cut short')), 20);
    await expect(slow.describeKey({ KeyId: 'k' }, { signal: controller.signal })).rejects.toThrow('cut short');
  });
});

describe('retries of operations that change state', () => {
  it('a 5xx on CreateKey is not retried (the first attempt may have created the key); a 429 is', async () => {
    let calls = 0;
    const failing = createClient({
      endpoint: 'https://kms.test',
      getToken: () => 'token',
      fetch: async () => {
        calls++;
        return new Response(JSON.stringify({ __type: 'KMSInternalException', message: 'boom' }), { status: 500 });
      },
      sleep: async () => undefined,
    });
    await expect(failing.send('CreateKey', {})).rejects.toMatchObject({ name: 'KMSInternalException', attempts: 1 });
    expect(calls).toBe(1);
    await expect(failing.send('DescribeKey', { KeyId: 'k' })).rejects.toMatchObject({ name: 'KMSInternalException', attempts: 4 });

    let throttled = 0;
    const busy = createClient({
      endpoint: 'https://kms.test',
      getToken: () => 'token',
      fetch: async () =>
        ++throttled === 1
          ? new Response(JSON.stringify({ __type: 'ThrottlingException', message: 'slow down' }), { status: 429 })
          : new Response(JSON.stringify({ KeyMetadata: { KeyId: 'k' } }), { status: 200 }),
      sleep: async () => undefined,
    });
    await expect(busy.send('CreateKey', {})).resolves.toMatchObject({ KeyMetadata: { KeyId: 'k' } });
    expect(throttled).toBe(2);
  });
});
