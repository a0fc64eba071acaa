/**
 * The AWS SDK for JavaScript's KMS clients pointed at the local service, as the service tests use
 * them: a test access key's credentials, us-east-1 unless told otherwise, and no retries, so that
 * an error is seen as the service answered it.
 */
import { KMS, KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import { inject } from 'vitest';
import type { TestAccessKey } from '../setup/access-keys';

export interface LocalKmsOptions {
  readonly region?: string;
  /** Another Worker than the suite's service (default: its `serviceUrl`). */
  readonly endpoint?: string;
}

function config(key: TestAccessKey, { region = 'us-east-1', endpoint = inject('serviceUrl') }: LocalKmsOptions = {}): KMSClientConfig {
  return { endpoint, region, credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey }, maxAttempts: 1 };
}

export function kmsClient(key: TestAccessKey, options?: LocalKmsOptions): KMSClient {
  return new KMSClient(config(key, options));
}

/** The aggregated client, which the AWS Encryption SDK's KMS keyrings take. */
export function kmsAggregatedClient(key: TestAccessKey, options?: LocalKmsOptions): KMS {
  return new KMS(config(key, options));
}
