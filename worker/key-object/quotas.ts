import { LimitExceededException } from '../errors';

/**
 * AWS KMS's resource quotas per key (Developer Guide, "Resource quotas"). Past
 * one, the request that would create one more is refused with
 * LimitExceededException, worded as AWS KMS words its quota errors.
 */
export const GRANTS_PER_KEY = 50_000;
/** Not adjustable in AWS KMS. Its API model (botocore 1.43) says 25; older pages of its guide say 10. */
export const ON_DEMAND_ROTATIONS_PER_KEY = 25;

export function requireWithinQuota(quotaName: string, quota: number, usage: number): void {
  if (usage >= quota) {
    throw new LimitExceededException(`${quotaName} quota for this account in this region is ${quota}, current usage is ${usage}.`);
  }
}
