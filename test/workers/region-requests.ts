import { SELF } from 'cloudflare:test';
import { expect, inject } from 'vitest';
import { signedKmsRequest } from './sigv4-signer';

/** AWS-protocol requests signed by the test administrator for one region, as an AWS SDK client of that region sends them. */
const admin = inject('accessKeys').admin;

export interface Answer {
  status: number;
  body: Record<string, any>;
}

export async function inRegion(region: string, operation: string, body: unknown = {}): Promise<Answer> {
  const request = await signedKmsRequest(admin, operation, JSON.stringify(body), region);
  const response = await SELF.fetch('https://kms.test/', request);
  return { status: response.status, body: JSON.parse(await response.text()) as Record<string, any> };
}

export async function okIn(region: string, operation: string, body: unknown = {}): Promise<Record<string, any>> {
  const answer = await inRegion(region, operation, body);
  expect(answer.body, `${operation} in ${region}`).not.toHaveProperty('__type');
  return answer.body;
}
