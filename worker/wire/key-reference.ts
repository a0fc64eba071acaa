import { NotFoundException } from '../errors';

/**
 * How a caller names a key: a key id, a key ARN, an alias name or an alias ARN.
 * ARNs use the AWS form so the AWS SDKs' ARN parsers accept them.
 */
export type KeyReference =
  | { kind: 'key'; keyId: string; account?: string; region?: string }
  | { kind: 'alias'; aliasName: string; account?: string; region?: string };

/** A single-Region key's id is a UUID; a multi-Region key's is `mrk-` and 32 hex digits (both 36 characters, as in AWS KMS). */
const KEY_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;
const ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;
const ARN = /^arn:aws:kms:([a-z0-9-]+):(\d{12}):(key|alias)\/(.+)$/;

export function isKeyId(value: string): boolean {
  return KEY_ID.test(value);
}

export function isMultiRegionKeyId(value: string): boolean {
  return value.startsWith('mrk-') && KEY_ID.test(value);
}

/** A new key's id: the id of a multi-Region key names it as one, so its replicas can share it. */
export function newKeyId(multiRegion: boolean): string {
  return multiRegion ? `mrk-${crypto.randomUUID().replaceAll('-', '')}` : crypto.randomUUID();
}

export function isAliasName(value: string): boolean {
  return ALIAS_NAME.test(value);
}

export function parseKeyReference(value: string): KeyReference {
  if (isKeyId(value)) return { kind: 'key', keyId: value };
  if (isAliasName(value)) return { kind: 'alias', aliasName: value };
  const arn = ARN.exec(value);
  if (arn) {
    const [, region, account, type, rest] = arn as unknown as [string, string, string, string, string];
    if (type === 'key' && isKeyId(rest)) return { kind: 'key', keyId: rest, account, region };
    const aliasName = `alias/${rest}`;
    if (type === 'alias' && isAliasName(aliasName)) return { kind: 'alias', aliasName, account, region };
  }
  // AWS KMS's wording, the reference unquoted.
  throw new NotFoundException(`Invalid keyId ${value}`);
}

/** The region a KMS ARN names, or undefined if `value` is no KMS ARN. */
export function arnRegion(value: string): string | undefined {
  return ARN.exec(value)?.[1];
}

/** Where a key or alias lives: one account in one region, the namespace of AWS KMS. */
export interface ArnScope {
  region: string;
  account: string;
}

export function keyArn(scope: ArnScope, keyId: string): string {
  return `arn:aws:kms:${scope.region}:${scope.account}:key/${keyId}`;
}

export function aliasArn(scope: ArnScope, aliasName: string): string {
  return `arn:aws:kms:${scope.region}:${scope.account}:${aliasName}`;
}
