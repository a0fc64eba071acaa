/** The EdgeKMS client and keyrings the page uses, all authorized by the in-memory token. */
import { EdgeKmsKeyring, createClient } from '../../sdk/index';
import { currentToken } from './session';

export const kms = createClient({ endpoint: location.origin, getToken: currentToken });

/** Encrypts under the user's own key. */
export function encryptingKeyring(keyArn: string): EdgeKmsKeyring {
  return new EdgeKmsKeyring({ client: kms, generatorKeyId: keyArn });
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
export function decryptingKeyring(account: string): EdgeKmsKeyring {
  return new EdgeKmsKeyring({
    client: kms,
    discovery: true,
    discoveryFilter: { accountIds: [account], partition: 'aws' },
    maxEncryptedDataKeys: PAGE_MESSAGE_ENCRYPTED_DATA_KEYS,
  });
}
