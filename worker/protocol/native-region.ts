import { NotFoundException, ValidationException } from '../errors';
import { isServedRegion, type RegionSettings } from '../regions';
import { arnRegion } from '../wire/key-reference';

/** The header a native request names its region with, when no key ARN of its input does. */
export const REGION_HEADER = 'x-edgekms-region';

/** The input members that name a key, the key the operation acts on first: its ARN, if any, decides. */
const KEY_MEMBERS = ['KeyId', 'SourceKeyId', 'TargetKeyId', 'DestinationKeyId'] as const;

/**
 * The region a native (bearer) request acts in. A bearer token, unlike a
 * SigV4 credential scope, names no region, so: the region of the first key
 * ARN among the input's key members (a key ARN is the full name of a key,
 * wherever it lives), else the `x-edgekms-region` header, else the default
 * region. Every other reference of the request then resolves in that region,
 * with the AWS protocol's rules (operations/context.ts).
 */
export function nativeRegion(settings: RegionSettings, header: string | undefined, input: unknown): string {
  const members = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
  for (const member of KEY_MEMBERS) {
    const value = members[member];
    const region = typeof value === 'string' ? arnRegion(value) : undefined;
    if (region === undefined) continue;
    if (!isServedRegion(settings, region)) throw new NotFoundException(`Invalid arn ${region}`);
    return region;
  }
  if (header === undefined) return settings.KMS_REGION;
  if (!isServedRegion(settings, header)) throw new ValidationException(`The ${REGION_HEADER} header names a region this service does not serve: '${header.slice(0, 64)}'.`);
  return header;
}
