import type { KeyStoreView } from '../directory/key-stores';

/** DescribeCustomKeyStores' CustomKeyStoresListEntry for an external key store: never the credential's secret. */
export function customKeyStoreEntry(store: KeyStoreView) {
  return {
    CustomKeyStoreId: store.id,
    CustomKeyStoreName: store.name,
    ConnectionState: store.state,
    // AWS sets the code only while the store is FAILED.
    ...(store.state === 'FAILED' && store.errorCode !== undefined && { ConnectionErrorCode: store.errorCode }),
    CreationDate: store.createdAt / 1000,
    CustomKeyStoreType: 'EXTERNAL_KEY_STORE',
    XksProxyConfiguration: {
      Connectivity: store.connectivity,
      AccessKeyId: store.accessKeyId,
      UriEndpoint: store.endpoint,
      UriPath: store.path,
    },
  };
}
