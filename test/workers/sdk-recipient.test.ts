/**
 * The SDK's EdgeKMS keyring against the real service (issue 18): by default it names its
 * recipient key, so a key whose policy requires a recipient (edgekms:RecipientRequired) works
 * through it, and no response body it receives holds the data key; with `recipient: false` the
 * same key refuses it. Runs the SDK inside workerd, one of the runtimes where it is on by default.
 */
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { KmsServiceError } from '../../sdk/client/index';
import { decrypt } from '../../sdk/decrypt';
import { encrypt } from '../../sdk/encrypt';
import { NoDecryptableKeyError } from '../../sdk/errors';
import { EdgeKmsKeyring } from '../../sdk/keyrings/edgekms';
import { b64, mintToken, ok, sdkClient, unb64 } from './helpers';

const ACCOUNT = '111122223333';
const admins = { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' };
const recipientOnly = {
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/app-user` },
  Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
  Resource: '*',
  Condition: { Bool: { 'edgekms:RecipientRequired': 'true' } },
};

/** The SDK's client as an app user, keeping every response body it receives. */
function recordingClient() {
  const bodies: { operation: string; body: string }[] = [];
  const client = sdkClient({
    getToken: () => mintToken({ sub: 'alice', groups: ['app-user'] }),
    fetch: async (input, init) => {
      const response = await SELF.fetch(input, init);
      const body = await response.clone().text();
      bodies.push({ operation: new URL(String(input)).pathname.split('/').pop()!, body });
      return response;
    },
  });
  return { client, bodies };
}

describe('the SDK against a key that releases data keys only to recipients', () => {
  it('works with the default keyring, and no response body holds the data key or a Plaintext', async () => {
    const { KeyMetadata } = await ok('CreateKey', { Policy: JSON.stringify({ Version: '2012-10-17', Statement: [admins, recipientOnly] }) });
    const { client, bodies } = recordingClient();
    const keyring = new EdgeKmsKeyring({ client, generatorKeyId: KeyMetadata.Arn });
    const { ciphertext, header } = await encrypt(keyring, 'only this runtime sees the data key', { encryptionContext: { app: 'recipient' } });
    const result = await decrypt(keyring, ciphertext, { expectedContext: { app: 'recipient' } });
    expect(new TextDecoder().decode(result.plaintext)).toBe('only this runtime sees the data key');

    expect(bodies.map((entry) => entry.operation)).toEqual(['GenerateDataKey', 'Decrypt']);
    // The data key, learnt the way this key allows only its administrator: a plain Decrypt.
    const edk = header.encryptedDataKeys[0]!;
    const { Plaintext } = await ok('Decrypt', { CiphertextBlob: b64(edk.ciphertext), EncryptionContext: header.encryptionContext });
    const dataKey = unb64(Plaintext);
    expect(dataKey.byteLength).toBe(32);
    for (const { operation, body } of bodies) {
      const answer = JSON.parse(body) as Record<string, unknown>;
      expect(answer, operation).not.toHaveProperty('Plaintext');
      expect(answer, operation).toHaveProperty('CiphertextForRecipient');
      expect(body, operation).not.toContain(b64(dataKey));
    }
  });

  it('refuses the keyring with recipient: false, on encrypt and on decrypt', async () => {
    const { KeyMetadata } = await ok('CreateKey', { Policy: JSON.stringify({ Version: '2012-10-17', Statement: [admins, recipientOnly] }) });
    const { client, bodies } = recordingClient();
    const plain = new EdgeKmsKeyring({ client, generatorKeyId: KeyMetadata.Arn, recipient: false });
    const refused = await encrypt(plain, 'x').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(KmsServiceError);
    expect(refused).toMatchObject({ name: 'AccessDeniedException', status: 403, operation: 'GenerateDataKey' });

    const { ciphertext } = await encrypt(new EdgeKmsKeyring({ client, generatorKeyId: KeyMetadata.Arn }), 'x');
    const failed = (await decrypt(plain, ciphertext).catch((error: unknown) => error)) as NoDecryptableKeyError;
    expect(failed).toBeInstanceOf(NoDecryptableKeyError);
    expect(failed.causes[0]).toMatchObject({ name: 'AccessDeniedException', operation: 'Decrypt' });
    expect(bodies.every(({ body }) => !('Plaintext' in JSON.parse(body)))).toBe(true);
  });
});
