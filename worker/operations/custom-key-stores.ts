import { z } from 'zod';
import { UnsupportedOperationException, ValidationException } from '../errors';
import { unwrap, type Result } from '../result';
import { directory } from '../stubs';
import { checkUriEndpoint, checkUriPath } from '../xks/proxy-uri';
import { requireIdentityAllows } from './account-access';
import { callerScope, type OperationContext } from './context';
import { customKeyStoreEntry } from './key-store-shapes';
import { defineOperation } from './operation';
import { limit, marker } from './schema';

/**
 * Custom key stores of type EXTERNAL_KEY_STORE with public endpoint
 * connectivity: the account's stores in the request's region, kept by its
 * Directory (directory/key-stores.ts), which alone talks to their proxies.
 * CloudHSM key stores, and external key stores reached through an Amazon VPC
 * endpoint service, need AWS infrastructure EdgeKMS does not run on; they
 * answer UnsupportedOperationException with that reason.
 */
const CLOUDHSM = 'AWS CloudHSM key stores are not supported: EdgeKMS runs on Cloudflare, with no AWS CloudHSM cluster to connect to. Use CustomKeyStoreType EXTERNAL_KEY_STORE.';
const VPC_ENDPOINT = 'XksProxyConnectivity VPC_ENDPOINT_SERVICE is not supported: EdgeKMS runs on Cloudflare, outside any Amazon VPC. Use PUBLIC_ENDPOINT.';

const storeId = z.string().min(1).max(64);
const storeName = z.string().min(1).max(256);
const credential = z.object({
  AccessKeyId: z.string().min(20).max(30).regex(/^[A-Z2-7]+$/),
  RawSecretAccessKey: z.string().min(43).max(64).regex(/^[a-zA-Z0-9/+=]+$/),
});
/** Accepted so that a CloudHSM or VPC request is refused for what it is, not for a field's shape. */
const notOffered = {
  CloudHsmClusterId: z.string().optional(),
  TrustAnchorCertificate: z.string().optional(),
  KeyStorePassword: z.string().optional(),
  XksProxyVpcEndpointServiceName: z.string().optional(),
  XksProxyVpcEndpointServiceOwner: z.string().optional(),
};

function refuseCloudHsmFields(input: { CloudHsmClusterId?: string; TrustAnchorCertificate?: string; KeyStorePassword?: string }): void {
  const given = (['CloudHsmClusterId', 'TrustAnchorCertificate', 'KeyStorePassword'] as const).filter((field) => input[field] !== undefined);
  if (given.length > 0) throw new ValidationException(`${given.join(', ')} cannot be specified for an external key store.`);
}

function refuseVpcFields(input: { XksProxyVpcEndpointServiceName?: string; XksProxyVpcEndpointServiceOwner?: string }): void {
  if (input.XksProxyVpcEndpointServiceName !== undefined || input.XksProxyVpcEndpointServiceOwner !== undefined) {
    throw new UnsupportedOperationException(VPC_ENDPOINT);
  }
}

function required<T>(value: T | undefined, member: string): T {
  if (value === undefined) throw new ValidationException(`${member} is required for a custom key store of type EXTERNAL_KEY_STORE.`);
  return value;
}

const keyStores = (ctx: OperationContext) => directory(ctx.env, callerScope(ctx));

/** The proxy's settings, as CreateCustomKeyStore and UpdateCustomKeyStore both take them. */
const proxyFields = {
  XksProxyUriEndpoint: z.string().optional(),
  XksProxyUriPath: z.string().optional(),
  XksProxyAuthenticationCredential: credential.optional(),
  XksProxyConnectivity: z.enum(['PUBLIC_ENDPOINT', 'VPC_ENDPOINT_SERVICE']).optional(),
  ...notOffered,
};

export const CreateCustomKeyStore = defineOperation({
  input: z.object({
    CustomKeyStoreName: storeName,
    CustomKeyStoreType: z.enum(['AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE']).optional(),
    ...proxyFields,
  }),
  async run(input, ctx) {
    requireIdentityAllows(ctx, 'kms:CreateCustomKeyStore');
    // Absent, the type is AWS_CLOUDHSM, as in AWS KMS.
    if (input.CustomKeyStoreType !== 'EXTERNAL_KEY_STORE') throw new UnsupportedOperationException(CLOUDHSM);
    refuseCloudHsmFields(input);
    if (required(input.XksProxyConnectivity, 'XksProxyConnectivity') === 'VPC_ENDPOINT_SERVICE') throw new UnsupportedOperationException(VPC_ENDPOINT);
    refuseVpcFields(input);
    const secret = required(input.XksProxyAuthenticationCredential, 'XksProxyAuthenticationCredential');
    const store = {
      name: input.CustomKeyStoreName,
      endpoint: checkUriEndpoint(required(input.XksProxyUriEndpoint, 'XksProxyUriEndpoint')),
      path: checkUriPath(required(input.XksProxyUriPath, 'XksProxyUriPath')),
      credential: { accessKeyId: secret.AccessKeyId, secretAccessKey: secret.RawSecretAccessKey },
    };
    const id = unwrap(await keyStores(ctx).createKeyStore(store, ctx.region, ctx.caller.request.requestId));
    return { CustomKeyStoreId: id };
  },
});

export const DescribeCustomKeyStores = defineOperation({
  input: z.object({ CustomKeyStoreId: storeId.optional(), CustomKeyStoreName: storeName.optional(), Limit: limit, Marker: marker }),
  async run(input, ctx) {
    requireIdentityAllows(ctx, 'kms:DescribeCustomKeyStores');
    if (input.CustomKeyStoreId !== undefined && input.CustomKeyStoreName !== undefined) {
      throw new ValidationException('Specify either CustomKeyStoreId or CustomKeyStoreName, not both.');
    }
    const page = unwrap(
      await keyStores(ctx).describeKeyStores({ id: input.CustomKeyStoreId, name: input.CustomKeyStoreName }, input.Limit ?? 100, input.Marker),
    );
    return {
      CustomKeyStores: page.items.map(customKeyStoreEntry),
      ...(page.nextMarker === undefined ? { Truncated: false } : { NextMarker: page.nextMarker, Truncated: true }),
    };
  },
});

export const UpdateCustomKeyStore = defineOperation({
  input: z.object({
    CustomKeyStoreId: storeId,
    NewCustomKeyStoreName: storeName.optional(),
    ...proxyFields,
  }),
  async run(input, ctx) {
    requireIdentityAllows(ctx, 'kms:UpdateCustomKeyStore');
    refuseCloudHsmFields(input);
    if (input.XksProxyConnectivity === 'VPC_ENDPOINT_SERVICE') throw new UnsupportedOperationException(VPC_ENDPOINT);
    refuseVpcFields(input);
    const secret = input.XksProxyAuthenticationCredential;
    const changes = {
      ...(input.NewCustomKeyStoreName !== undefined && { name: input.NewCustomKeyStoreName }),
      ...(input.XksProxyUriEndpoint !== undefined && { endpoint: checkUriEndpoint(input.XksProxyUriEndpoint) }),
      ...(input.XksProxyUriPath !== undefined && { path: checkUriPath(input.XksProxyUriPath) }),
      ...(secret && { credential: { accessKeyId: secret.AccessKeyId, secretAccessKey: secret.RawSecretAccessKey } }),
    };
    unwrap(await keyStores(ctx).updateKeyStore(input.CustomKeyStoreId, changes, ctx.region, ctx.caller.request.requestId));
    return {};
  },
});

type KeyStoreDirectory = ReturnType<typeof keyStores>;

/** An operation on one store by its id, allowed by identity policies alone (AWS: resource `*`), answering `{}`. */
function storeOperation(action: string, call: (store: KeyStoreDirectory, id: string, ctx: OperationContext) => Promise<Result<void>>) {
  return defineOperation({
    input: z.object({ CustomKeyStoreId: storeId }),
    async run(input, ctx) {
      requireIdentityAllows(ctx, action);
      unwrap(await call(keyStores(ctx), input.CustomKeyStoreId, ctx));
      return {};
    },
  });
}

export const DeleteCustomKeyStore = storeOperation('kms:DeleteCustomKeyStore', (store, id) => store.deleteKeyStore(id));

export const ConnectCustomKeyStore = storeOperation('kms:ConnectCustomKeyStore', (store, id, ctx) => store.connectKeyStore(id, ctx.region, ctx.caller.request.requestId));

export const DisconnectCustomKeyStore = storeOperation('kms:DisconnectCustomKeyStore', (store, id) => store.disconnectKeyStore(id));
