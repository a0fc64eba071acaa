/** The EdgeKMS service client: see client.ts. */
export { createClient, type ClientOptions, type KmsClient } from './client';
export { KmsServiceError, KmsTimeoutError, KmsNetworkError, isKmsServiceError, type KmsServiceErrorDetails } from './errors';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry';
export type { FetchLike } from './transport';
export type * from './types';
