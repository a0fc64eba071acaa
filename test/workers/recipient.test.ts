/**
 * Recipient-wrapped answers (issue 18): with a Recipient, GenerateDataKey, Decrypt and
 * GenerateRandom answer with a compact JWE for the recipient's P-256 key and no Plaintext; a key
 * policy can require it; a bad recipient is a 400 before any key is used.
 */
import { calculateJwkThumbprint, compactDecrypt, decodeProtectedHeader, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { b64, createKey, kms, mintToken, ok, refused, unb64, utf8 } from './helpers';

const ACCOUNT = '111122223333';

/** A recipient as a browser tab holds one: a non-extractable private key and its public JWK. */
async function tabKey(): Promise<{ privateKey: CryptoKey; jwk: JWK; recipient: object }> {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])) as CryptoKeyPair;
  const jwk = (await crypto.subtle.exportKey('jwk', pair.publicKey)) as JWK;
  return { privateKey: pair.privateKey, jwk, recipient: { KeyEncryptionAlgorithm: 'ECDH_ES_A256KW', PublicKey: jwk } };
}

async function openJwe(field: string, privateKey: CryptoKey): Promise<Uint8Array> {
  const { plaintext } = await compactDecrypt(new TextDecoder().decode(unb64(field)), privateKey);
  return plaintext;
}

describe('recipient-wrapped answers', () => {
  it('GenerateDataKey: no Plaintext; the JWE holds the data key that CiphertextBlob decrypts to', async () => {
    const keyId = await createKey();
    const tab = await tabKey();
    const answer = await ok('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', Recipient: tab.recipient });
    expect(answer).not.toHaveProperty('Plaintext');
    expect(Object.keys(answer).sort()).toEqual(['CiphertextBlob', 'CiphertextForRecipient', 'EdgeKmsReceipt', 'KeyId']);
    const jwe = new TextDecoder().decode(unb64(answer.CiphertextForRecipient));
    expect(decodeProtectedHeader(jwe)).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: await calculateJwkThumbprint(tab.jwk) });
    const dataKey = await openJwe(answer.CiphertextForRecipient, tab.privateKey);
    expect(dataKey.length).toBe(32);
    const plain = await ok('Decrypt', { CiphertextBlob: answer.CiphertextBlob });
    expect(unb64(plain.Plaintext)).toEqual(dataKey);
  });

  it('Decrypt: the JWE holds the plaintext, and only the recipient’s private key opens it', async () => {
    const keyId = await createKey();
    const tab = await tabKey();
    const other = await tabKey();
    const { CiphertextBlob } = await ok('Encrypt', { KeyId: keyId, Plaintext: b64(utf8('for the tab only')) });
    const answer = await ok('Decrypt', { CiphertextBlob, Recipient: tab.recipient });
    expect(answer).not.toHaveProperty('Plaintext');
    expect(answer.KeyId).toMatch(/^arn:aws:kms:/);
    expect(answer.EncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT');
    expect(new TextDecoder().decode(await openJwe(answer.CiphertextForRecipient, tab.privateKey))).toBe('for the tab only');
    await expect(openJwe(answer.CiphertextForRecipient, other.privateKey)).rejects.toThrow();
  });

  it('GenerateRandom: the random bytes arrive as a JWE of the asked length', async () => {
    const tab = await tabKey();
    const answer = await ok('GenerateRandom', { NumberOfBytes: 48, Recipient: tab.recipient });
    expect(Object.keys(answer)).toEqual(['CiphertextForRecipient']);
    expect((await openJwe(answer.CiphertextForRecipient, tab.privateKey)).length).toBe(48);
  });

  it('ReEncrypt takes no Recipient (it returns no plaintext) and is unchanged', async () => {
    const keyId = await createKey();
    const { CiphertextBlob } = await ok('Encrypt', { KeyId: keyId, Plaintext: b64(utf8('x')) });
    const answer = await ok('ReEncrypt', { CiphertextBlob, DestinationKeyId: keyId });
    expect(answer).not.toHaveProperty('Plaintext');
    expect(answer).not.toHaveProperty('CiphertextForRecipient');
  });
});

describe('a bad recipient is a 400, never a plain answer', () => {
  const valid = async () => (await tabKey()).jwk;
  const cases: [string, () => Promise<object>][] = [
    ['AWS’s shape without an attestation document', async () => ({ KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })],
    ['AWS’s shape with an attestation document EdgeKMS cannot verify', async () => ({ KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', AttestationDocument: b64(utf8('doc')) })],
    ['an unknown algorithm', async () => ({ KeyEncryptionAlgorithm: 'RSA1_5', PublicKey: await valid() })],
    ['no PublicKey', async () => ({ KeyEncryptionAlgorithm: 'ECDH_ES_A256KW' })],
    ['a PublicKey that is not an object', async () => ({ KeyEncryptionAlgorithm: 'ECDH_ES_A256KW', PublicKey: 'jwk' })],
    ['an RSA key', async () => ({ KeyEncryptionAlgorithm: 'ECDH_ES_A256KW', PublicKey: { kty: 'RSA', n: 'AQAB', e: 'AQAB' } })],
    ['another curve', async () => ({ KeyEncryptionAlgorithm: 'ECDH_ES_A256KW', PublicKey: { ...(await valid()), crv: 'P-384' } })],
    ['a short coordinate', async () => ({ KeyEncryptionAlgorithm: 'ECDH_ES_A256KW', PublicKey: { ...(await valid()), x: 'AAAA' } })],
    ['a point off the curve', async () => ({ KeyEncryptionAlgorithm: 'ECDH_ES_A256KW', PublicKey: { ...(await valid()), y: 'A'.repeat(42) + 'E' } })],
    [
      'a private key',
      async () => {
        const pair = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits'])) as CryptoKeyPair;
        return { KeyEncryptionAlgorithm: 'ECDH_ES_A256KW', PublicKey: await crypto.subtle.exportKey('jwk', pair.privateKey) };
      },
    ],
  ];
  for (const [name, recipient] of cases) {
    it(name, async () => {
      const keyId = await createKey();
      const { CiphertextBlob } = await ok('Encrypt', { KeyId: keyId, Plaintext: b64(utf8('x')) });
      const Recipient = await recipient();
      for (const [operation, body] of [
        ['GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', Recipient }],
        ['Decrypt', { CiphertextBlob, Recipient }],
        ['GenerateRandom', { NumberOfBytes: 16, Recipient }],
      ] as const) {
        const response = await refused(operation, body, 'ValidationException');
        expect(response.status).toBe(400);
        expect(response.body).not.toHaveProperty('Plaintext');
      }
    });
  }
});

describe('a key policy that requires a recipient', () => {
  const admins = { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' };
  const users = (condition: object) => ({
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/app-user` },
    Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
    Resource: '*',
    Condition: condition,
  });
  const policy = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: [admins, ...statements] });
  const asUser = async (operation: string, body: unknown) => kms(operation, body, { token: await mintToken({ sub: 'alice', groups: ['app-user'] }) });

  it('refuses plain answers and gives wrapped ones (edgekms:RecipientRequired)', async () => {
    const keyId = await createKey({ Policy: policy(users({ Bool: { 'edgekms:RecipientRequired': 'true' } })) });
    const tab = await tabKey();
    const plain = await asUser('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' });
    expect(plain.status).toBe(403);
    expect(plain.body.__type).toBe('AccessDeniedException');
    expect(plain.body).not.toHaveProperty('Plaintext');
    const wrapped = await asUser('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', Recipient: tab.recipient });
    expect(wrapped.status).toBe(200);
    expect(wrapped.body).not.toHaveProperty('Plaintext');
    expect((await openJwe(wrapped.body.CiphertextForRecipient, tab.privateKey)).length).toBe(32);

    const plainDecrypt = await asUser('Decrypt', { CiphertextBlob: wrapped.body.CiphertextBlob });
    expect(plainDecrypt.body.__type).toBe('AccessDeniedException');
    const wrappedDecrypt = await asUser('Decrypt', { CiphertextBlob: wrapped.body.CiphertextBlob, Recipient: tab.recipient });
    expect(wrappedDecrypt.status).toBe(200);
    expect(await openJwe(wrappedDecrypt.body.CiphertextForRecipient, tab.privateKey)).toEqual(await openJwe(wrapped.body.CiphertextForRecipient, tab.privateKey));
  });

  it('can name the one recipient key allowed (edgekms:RecipientKeyThumbprint)', async () => {
    const tab = await tabKey();
    const other = await tabKey();
    const keyId = await createKey({ Policy: policy(users({ StringEquals: { 'edgekms:RecipientKeyThumbprint': await calculateJwkThumbprint(tab.jwk) } })) });
    expect((await asUser('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', Recipient: tab.recipient })).status).toBe(200);
    expect((await asUser('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', Recipient: other.recipient })).body.__type).toBe('AccessDeniedException');
    expect((await asUser('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' })).body.__type).toBe('AccessDeniedException');
  });
});
