import { SignatureV4 } from '@smithy/signature-v4';
import { SELF } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import { canonicalRequest, computeSignature, sha256Hex } from '../../worker/auth/sigv4';
import { Sha256 } from './sigv4-signer';

const keys = inject('accessKeys');

const ENDPOINT = 'https://kms.test/';

/** The AWS SigV4 test suite's example credentials and time. */
const SUITE_SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const SUITE_DATE = '20150830T123600Z';
const SUITE_SCOPE = { date: '20150830', region: 'us-east-1', service: 'service' };
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('SigV4 signature code against the AWS SigV4 test suite', () => {
  const suiteCase = async (method: string, url: string) => {
    const parts = { method, url: new URL(url), headers: new Headers({ host: 'example.amazonaws.com', 'x-amz-date': SUITE_DATE }), payloadHash: EMPTY_SHA256 };
    const canonical = canonicalRequest(parts, ['host', 'x-amz-date']);
    return { canonical, signature: await computeSignature(SUITE_SECRET, SUITE_DATE, SUITE_SCOPE, canonical) };
  };

  it('get-vanilla', async () => {
    const { canonical, signature } = await suiteCase('GET', 'https://example.amazonaws.com/');
    expect(await sha256Hex(canonical)).toBe('bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63');
    expect(signature).toBe('5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31');
  });

  it('get-vanilla-query-order-key-case', async () => {
    const { signature } = await suiteCase('GET', 'https://example.amazonaws.com/?Param2=value2&Param1=value1');
    expect(signature).toBe('b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500');
  });

  it('post-vanilla', async () => {
    const { signature } = await suiteCase('POST', 'https://example.amazonaws.com/');
    expect(signature).toBe('5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b');
  });
});

/** Signs like the AWS SDKs do (smithy's signer, an implementation independent of ours). */
async function signed(
  target: string,
  body: string,
  { key = keys.admin, region = 'us-east-1', service = 'kms', signingDate = new Date(), secret }: {
    key?: (typeof keys)['admin'];
    region?: string;
    service?: string;
    signingDate?: Date;
    secret?: string;
  } = {},
) {
  const signer = new SignatureV4({
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: secret ?? key.secretAccessKey },
    region,
    service,
    sha256: Sha256,
  });
  return signer.sign(
    {
      method: 'POST',
      protocol: 'https:',
      hostname: 'kms.test',
      path: '/',
      headers: { host: 'kms.test', 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${target}` },
      body,
    },
    { signingDate },
  );
}

async function send(request: { headers: Record<string, string>; body?: unknown }, body?: string) {
  const response = await SELF.fetch(ENDPOINT, { method: 'POST', headers: request.headers, body: body ?? (request.body as string) });
  return { status: response.status, contentType: response.headers.get('content-type'), body: (await response.json()) as Record<string, any> };
}

describe('the AWS protocol refuses what AWS KMS refuses', () => {
  it('accepts a correctly signed request', async () => {
    const response = await send(await signed('ListKeys', '{}'));
    expect(response.status).toBe(200);
    expect(response.contentType).toBe('application/x-amz-json-1.1');
    expect(response.body.Keys).toBeInstanceOf(Array);
  });

  it.each([
    ['a wrong secret', () => signed('ListKeys', '{}', { secret: 'not-the-secret' }), 'InvalidSignatureException'],
    ['a region not served in the scope', () => signed('ListKeys', '{}', { region: 'cn-north-1' }), 'InvalidSignatureException'],
    ['another service in the scope', () => signed('ListKeys', '{}', { service: 's3' }), 'InvalidSignatureException'],
    ['a stale date', () => signed('ListKeys', '{}', { signingDate: new Date(Date.now() - 20 * 60_000) }), 'InvalidSignatureException'],
    ['a date in the future', () => signed('ListKeys', '{}', { signingDate: new Date(Date.now() + 20 * 60_000) }), 'InvalidSignatureException'],
    ['an unknown access key', () => signed('ListKeys', '{}', { key: { ...keys.admin, accessKeyId: 'AKIANOTCONFIGURED00' } }), 'UnrecognizedClientException'],
  ])('refuses %s', async (_label, make, errorName) => {
    const response = await send(await make());
    expect(response.status).toBe(400);
    expect(response.body.__type).toBe(errorName);
  });

  it('refuses a body altered after signing', async () => {
    const request = await signed('Encrypt', JSON.stringify({ KeyId: 'alias/x', Plaintext: 'aGk=' }));
    const response = await send(request, JSON.stringify({ KeyId: 'alias/y', Plaintext: 'aGk=' }));
    expect(response.body.__type).toBe('InvalidSignatureException');
  });

  it('refuses a signed header that was changed', async () => {
    const request = await signed('ListKeys', '{}');
    const response = await send({ ...request, headers: { ...request.headers, 'x-amz-target': 'TrentService.ListAliases' } });
    expect(response.body.__type).toBe('InvalidSignatureException');
  });

  it('refuses missing or incomplete authentication', async () => {
    const request = await signed('ListKeys', '{}');
    const { authorization, ...unsigned } = request.headers as Record<string, string>;
    expect((await send({ ...request, headers: unsigned })).body.__type).toBe('MissingAuthenticationTokenException');
    const { 'x-amz-date': _date, ...undated } = request.headers as Record<string, string>;
    expect((await send({ ...request, headers: undated })).body.__type).toBe('IncompleteSignature');
    const partial = authorization!.replace(/, Signature=[0-9a-f]+/, '');
    expect((await send({ ...request, headers: { ...unsigned, authorization: partial } })).body.__type).toBe('IncompleteSignature');
    expect((await send({ ...request, headers: { ...unsigned, authorization: 'Bearer test-admin-token' } })).body.__type).toBe('IncompleteSignature');
  });

  it('accepts the presigned-query form', async () => {
    const signer = new SignatureV4({ credentials: keys.admin, region: 'us-east-1', service: 'kms', sha256: Sha256 });
    const presigned = await signer.presign(
      { method: 'POST', protocol: 'https:', hostname: 'kms.test', path: '/', headers: { host: 'kms.test', 'x-amz-target': 'TrentService.ListKeys' }, body: '{}' },
      { expiresIn: 300 },
    );
    const query = new URLSearchParams(presigned.query as Record<string, string>).toString();
    const response = await SELF.fetch(`${ENDPOINT}?${query}`, { method: 'POST', headers: presigned.headers, body: '{}' });
    expect(response.status, await response.clone().text()).toBe(200);
    // Presigned requests expire.
    const stale = await signer.presign(
      { method: 'POST', protocol: 'https:', hostname: 'kms.test', path: '/', headers: { host: 'kms.test', 'x-amz-target': 'TrentService.ListKeys' }, body: '{}' },
      { expiresIn: 60, signingDate: new Date(Date.now() - 120_000) },
    );
    const staleQuery = new URLSearchParams(stale.query as Record<string, string>).toString();
    const expired = await SELF.fetch(`${ENDPOINT}?${staleQuery}`, { method: 'POST', headers: stale.headers, body: '{}' });
    expect(((await expired.json()) as { __type: string }).__type).toBe('InvalidSignatureException');
  });

  it('refuses an unknown target after authenticating', async () => {
    expect((await send(await signed('Teleport', '{}'))).body.__type).toBe('UnknownOperationException');
  });
});

/**
 * A captured request must not become another operation: the operation is read
 * only from a signed source, and every `x-amz-*` header present must be signed
 * (review finding 1). Each replay below succeeded before the fix.
 */
describe('a signed request means exactly what was signed', () => {
  const signer = new SignatureV4({ credentials: keys.admin, region: 'us-east-1', service: 'kms', sha256: Sha256 });
  const base = { method: 'POST', protocol: 'https:', hostname: 'kms.test', path: '/' } as const;
  const describeKey = (keyId: string) => JSON.stringify({ KeyId: keyId });

  async function newKeyId(): Promise<string> {
    const response = await send(await signed('CreateKey', '{}'));
    expect(response.status).toBe(200);
    return response.body.KeyMetadata.KeyId;
  }
  async function keyState(keyId: string): Promise<string> {
    return (await send(await signed('DescribeKey', describeKey(keyId)))).body.KeyMetadata.KeyState;
  }
  const presignedUrl = (query: Record<string, unknown> | undefined) =>
    `${ENDPOINT}?${new URLSearchParams(query as Record<string, string>).toString()}`;

  it('refuses a presigned DescribeKey replayed with an unsigned X-Amz-Target header', async () => {
    const keyId = await newKeyId();
    const body = describeKey(keyId);
    const presigned = await signer.presign(
      { ...base, headers: { host: 'kms.test', 'x-amz-target': 'TrentService.DescribeKey' }, body },
      { expiresIn: 300 },
    );
    // smithy hoists the target into the (signed) query; the replay adds a header the signature does not cover.
    expect(presigned.headers).not.toHaveProperty('x-amz-target');
    const replay = await SELF.fetch(presignedUrl(presigned.query), {
      method: 'POST',
      headers: { ...presigned.headers, 'X-Amz-Target': 'TrentService.ScheduleKeyDeletion' },
      body: JSON.stringify({ KeyId: keyId, PendingWindowInDays: 7 }),
    });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toEqual({
      __type: 'AccessDeniedException',
      message: 'There were headers present in the request which were not signed: x-amz-target.',
    });
    expect(await keyState(keyId)).toBe('Enabled');

    // The presigned request as signed still works.
    const honest = await SELF.fetch(presignedUrl(presigned.query), { method: 'POST', headers: presigned.headers, body });
    expect(honest.status, await honest.clone().text()).toBe(200);
    expect(((await honest.json()) as any).KeyMetadata.KeyId).toBe(keyId);
  });

  it('refuses a GenerateDataKeyWithoutPlaintext signed in the query and replayed as GenerateDataKey', async () => {
    const keyId = await newKeyId();
    const body = JSON.stringify({ KeyId: keyId, KeySpec: 'AES_256' });
    const request = await signer.sign({
      ...base,
      query: { 'X-Amz-Target': 'TrentService.GenerateDataKeyWithoutPlaintext' },
      headers: { host: 'kms.test', 'content-type': 'application/x-amz-json-1.1' },
      body,
    });
    const url = presignedUrl(request.query);
    const replay = await SELF.fetch(url, {
      method: 'POST',
      headers: { ...request.headers, 'x-amz-target': 'TrentService.GenerateDataKey' },
      body,
    });
    const answer = (await replay.json()) as Record<string, unknown>;
    expect(answer).not.toHaveProperty('Plaintext');
    expect(answer.__type).toBe('AccessDeniedException');

    // As signed, it is the operation the query names.
    const honest = await SELF.fetch(url, { method: 'POST', headers: request.headers, body });
    const result = (await honest.json()) as Record<string, unknown>;
    expect(honest.status, JSON.stringify(result)).toBe(200);
    expect(result).toHaveProperty('CiphertextBlob');
    expect(result).not.toHaveProperty('Plaintext');
  });

  it('refuses a signed target header that contradicts the signed query', async () => {
    const keyId = await newKeyId();
    const body = describeKey(keyId);
    const request = await signer.sign({
      ...base,
      query: { 'X-Amz-Target': 'TrentService.DescribeKey' },
      headers: { host: 'kms.test', 'x-amz-target': 'TrentService.DisableKey' },
      body,
    });
    const response = await SELF.fetch(presignedUrl(request.query), { method: 'POST', headers: request.headers, body });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).__type).toBe('ValidationException');
    expect(await keyState(keyId)).toBe('Enabled');
  });

  it('refuses any other x-amz-* header that the signature does not cover', async () => {
    const request = await signed('ListKeys', '{}');
    const response = await send({ ...request, headers: { ...request.headers, 'x-amz-meta-anything': 'x' } });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      __type: 'AccessDeniedException',
      message: 'There were headers present in the request which were not signed: x-amz-meta-anything.',
    });
  });

  it('accepts the presigned form that keeps the target as a signed header', async () => {
    const presigned = await signer.presign(
      { ...base, headers: { host: 'kms.test', 'x-amz-target': 'TrentService.ListKeys' }, body: '{}' },
      { expiresIn: 300, unhoistableHeaders: new Set(['x-amz-target']) },
    );
    expect(presigned.headers).toHaveProperty('x-amz-target');
    const response = await SELF.fetch(presignedUrl(presigned.query), { method: 'POST', headers: presigned.headers, body: '{}' });
    expect(response.status, await response.clone().text()).toBe(200);
  });

  it('answers UnknownOperationException when no signed source names an operation', async () => {
    const request = await signer.sign({ ...base, headers: { host: 'kms.test' }, body: '{}' });
    const response = await send(request as { headers: Record<string, string>; body: string });
    expect(response.body.__type).toBe('UnknownOperationException');
  });
});
