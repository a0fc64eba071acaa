/** The EdgeKMS client and keyrings the page uses, all authorized by the in-memory token. */
import { EdgeKmsKeyring, type EdgeKmsKeyringClient, type Keyring, createClient } from '../../sdk/index';
import { showDataKeyTransport } from './data-key-transport';
import { currentToken } from './session';
import { recipientEnabled, recordDataKey } from './test-hooks';

export const kms = createClient({ endpoint: location.origin, getToken: currentToken });

/**
 * What the keyrings call: `kms`, with each data-key answer shown as it arrived. One object for
 * the page, so every keyring shares the SDK's one recipient key per client: this tab's.
 */
const keyringClient: EdgeKmsKeyringClient = {
  async generateDataKey(input, options) {
    const answer = await kms.generateDataKey(input, options);
    showDataKeyTransport('GenerateDataKey', answer);
    return answer;
  },
  encrypt: (input, options) => kms.encrypt(input, options),
  async decrypt(input, options) {
    const answer = await kms.decrypt(input, options);
    showDataKeyTransport('Decrypt', answer);
    return answer;
  },
};

/** The keyring, with the data keys it produces recorded for the e2e suite when its hooks are on. */
function recorded(keyring: EdgeKmsKeyring): Keyring {
  return {
    async onEncrypt(materials) {
      const result = await keyring.onEncrypt(materials);
      recordDataKey(result.plaintextDataKey);
      return result;
    },
    async onDecrypt(materials, encryptedDataKeys) {
      const result = await keyring.onDecrypt(materials, encryptedDataKeys);
      recordDataKey(result.plaintextDataKey);
      return result;
    },
  };
}

/** Encrypts under the user's own key. */
export function encryptingKeyring(keyArn: string): Keyring {
  return recorded(new EdgeKmsKeyring({ client: keyringClient, generatorKeyId: keyArn, recipient: recipientEnabled() }));
}

/**
 * The page's messages each hold one encrypted data key (encryptingKeyring has a generator and no
 * other key), so a stored message with more was not written by the page, and is refused before
 * any Decrypt request is sent for it.
 */
const PAGE_MESSAGE_ENCRYPTED_DATA_KEYS = 1;

/**
 * Decrypts whatever key of this account a message names: the service's key policy, not the
 * page, decides whether this user may use it, which is what the demo shows.
 */
export function decryptingKeyring(account: string): Keyring {
  return recorded(
    new EdgeKmsKeyring({
      client: keyringClient,
      discovery: true,
      discoveryFilter: { accountIds: [account], partition: 'aws' },
      maxEncryptedDataKeys: PAGE_MESSAGE_ENCRYPTED_DATA_KEYS,
      recipient: recipientEnabled(),
    }),
  );
}
