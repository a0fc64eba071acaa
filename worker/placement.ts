import type { RegionSettings } from './regions';

/**
 * Where a region's Durable Objects are placed on Cloudflare's network.
 *
 * A location hint (`DurableObjectNamespace.get(id, { locationHint })`) asks
 * Cloudflare to create an object near the hinted area. It is read only when
 * the object is first created: an object never moves afterwards, and the hint
 * is a preference, not a guarantee (docs/key-origins.md). A jurisdiction
 * (`namespace.jurisdiction('eu')`) is a guarantee: the object runs and stores
 * its data only within the EU. It is part of the object's id, so it is chosen
 * once per region, by configuration, before the region holds keys.
 */
export type LocationHint = 'wnam' | 'enam' | 'sam' | 'weur' | 'eeur' | 'apac' | 'oc' | 'afr' | 'me';

export interface PlacementSettings extends RegionSettings {
  /** "1": the EU regions' objects (other than the default region's) live in Cloudflare's EU jurisdiction. */
  KMS_EU_JURISDICTION?: string;
}

/** Exceptions to the rule by prefix below; the rest follow the area their code names. */
const HINT_OF_REGION: Readonly<Record<string, LocationHint>> = {
  'us-west-1': 'wnam',
  'us-west-2': 'wnam',
  'ca-west-1': 'wnam',
  'mx-central-1': 'wnam',
  'eu-central-2': 'weur',
  'eu-north-1': 'eeur',
  'eu-south-1': 'weur',
  'eu-south-2': 'weur',
  'ap-southeast-2': 'oc',
  'ap-southeast-4': 'oc',
  'ap-southeast-6': 'oc',
  'il-central-1': 'me',
};

const HINT_OF_PREFIX: Readonly<Record<string, LocationHint>> = {
  us: 'enam',
  ca: 'enam',
  sa: 'sam',
  eu: 'weur',
  ap: 'apac',
  af: 'afr',
  me: 'me',
  il: 'me',
  mx: 'wnam',
};

/** The Cloudflare location hint nearest an AWS region (undefined for a code of no known area). */
export function locationHintOf(region: string): LocationHint | undefined {
  return HINT_OF_REGION[region] ?? HINT_OF_PREFIX[region.split('-')[0]!];
}

/** The AWS regions in the EU (and eu-central-2, Zurich, which AWS counts with them): the ones a jurisdiction applies to. */
export function isEuRegion(region: string): boolean {
  return region.startsWith('eu-');
}

export interface Placement {
  locationHint?: LocationHint;
  jurisdiction?: 'eu';
}

/**
 * A region's placement. The default region (`KMS_REGION`) never takes a
 * jurisdiction: its objects predate this setting, and a jurisdiction changes
 * every object id, so its stored keys would no longer be found. Its hint is
 * harmless: existing objects ignore it.
 */
export function placementOf(settings: PlacementSettings, region: string): Placement {
  const locationHint = locationHintOf(region);
  const jurisdiction = settings.KMS_EU_JURISDICTION === '1' && isEuRegion(region) && region !== settings.KMS_REGION;
  return { ...(locationHint && { locationHint }), ...(jurisdiction && { jurisdiction: 'eu' as const }) };
}
