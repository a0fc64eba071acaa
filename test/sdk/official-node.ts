/**
 * The official AWS Encryption SDK for Node's raw AES keyring over the shared test wrapping key
 * (helpers.ts), for the Node-only interop suites: kept apart from helpers.ts, which every runtime loads.
 */
import { RawAesKeyringNode, RawAesWrappingSuiteIdentifier } from '@aws-crypto/client-node';
import { KEY_NAMESPACE, WRAPPING_KEY } from './helpers';

export function officialRawAesKeyring(keyName: string, utf8Sorting = true): RawAesKeyringNode {
  return new RawAesKeyringNode({
    keyNamespace: KEY_NAMESPACE,
    keyName,
    unencryptedMasterKey: WRAPPING_KEY.slice(),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
    utf8Sorting,
  });
}
