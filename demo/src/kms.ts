/** The EdgeKMS client and keyrings the page uses, all authorized by the in-memory token. */
import { EdgeKmsKeyring, createClient } from '../../sdk/index';
import { currentToken } from './session';

export const kms = createClient({ endpoint: location.origin, getToken: currentToken });

/** Encrypts under the user's own key. */
export function encryptingKeyring(keyArn: string): EdgeKmsKeyring {
  return new EdgeKmsKeyring({ client: kms, generatorKeyId: keyArn });
}

/**
 * Decrypts whatever key of this account a message names: the service's key policy, not the
 * page, decides whether this user may use it, which is what the demo shows.
 */
export function decryptingKeyring(account: string): EdgeKmsKeyring {
  return new EdgeKmsKeyring({ client: kms, discovery: true, discoveryFilter: { accountIds: [account], partition: 'aws' } });
}
