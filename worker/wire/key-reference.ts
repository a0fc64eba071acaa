import { NotFoundException } from '../errors';

/**
 * How a caller names a key: a key id, a key ARN, an alias name or an alias ARN.
 * ARNs use the AWS form so the AWS SDKs' ARN parsers accept them.
 */
export type KeyReference =
  | { kind: 'key'; keyId: string; account?: string; region?: string }
  | { kind: 'alias'; aliasName: string; account?: string; region?: string };

const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;
const ARN = /^arn:aws:kms:([a-z0-9-]+):(\d{12}):(key|alias)\/(.+)$/;

export function isKeyId(value: string): boolean {
  return KEY_ID.test(value);
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
