/**
 * The regions this service answers for. A region is a namespace, as in AWS
 * KMS: a key and its aliases live in the region they were created in, and a
 * request sees only the keys of the one region it names (SigV4: its
 * credential scope; native: see protocol/native-region.ts).
 *
 * `KMS_REGIONS` is the allow-list, a comma-separated list of region codes;
 * unset or empty, it is every commercial region; entries that are not region
 * codes are ignored. `KMS_REGION` (the default region, whose storage names
 * predate regions) is always served.
 */
export interface RegionSettings {
  KMS_REGION: string;
  KMS_REGIONS?: string;
}

/**
 * The regions of the commercial partition (`aws`, the one the service's
 * ARNs name), as botocore 1.43.11's endpoints data lists them for `kms`.
 */
export const COMMERCIAL_REGIONS: readonly string[] = [
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ca-central-1',
  'ca-west-1',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
];

/** What a region code looks like (`us-east-1`, `ap-southeast-7`); anything else in the allow-list is ignored. */
const REGION_CODE = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

let parsed: { source: string; regions: ReadonlySet<string> } | undefined;

/** The served regions, parsed once per configuration rather than per request. */
export function servedRegions(settings: RegionSettings): ReadonlySet<string> {
  const source = `${settings.KMS_REGION}|${settings.KMS_REGIONS ?? ''}`;
  if (parsed?.source !== source) {
    const list = (settings.KMS_REGIONS ?? '').trim();
    // A list that names no valid region serves the default region alone: a typo must not open every region.
    const listed = list === '' ? COMMERCIAL_REGIONS : list.split(',').map((entry) => entry.trim()).filter((entry) => REGION_CODE.test(entry));
    parsed = { source, regions: new Set([settings.KMS_REGION, ...listed]) };
  }
  return parsed.regions;
}

export function isServedRegion(settings: RegionSettings, region: string): boolean {
  return servedRegions(settings).has(region);
}
