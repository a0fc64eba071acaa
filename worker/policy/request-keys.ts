import type { Caller } from '../auth/caller';
import type { EncryptionContext } from '../wire/encryption-context';
import { normalizeConditionKey } from './condition-keys';

/**
 * The condition keys a request offers to key policies and grant constraints,
 * named as `normalizeConditionKey` names them. Operation-specific facts (`kms:EncryptionContext:*`,
 * algorithms, …) come from the operation; identity and transport facts from
 * the caller; `jwt:<claim>` from the verified token.
 */
export interface RequestFacts {
  encryptionContext?: EncryptionContext;
  encryptionAlgorithm?: string;
  signingAlgorithm?: string;
  macAlgorithm?: string;
  messageType?: string;
  keySpec?: string;
  keyUsage?: string;
  [extra: `kms:${string}`]: string | readonly string[] | undefined;
}

/**
 * Session tags, as AWS reads them from an OIDC token: the claim
 * `https://aws.amazon.com/tags` holds `principal_tags`, a map of tag names to
 * (lists of) values. They become `aws:PrincipalTag/<name>`.
 */
const TAGS_CLAIM = 'https://aws.amazon.com/tags';

function principalTags(claims: Record<string, unknown>): Array<[string, string]> {
  const tags = (claims[TAGS_CLAIM] as { principal_tags?: unknown } | undefined)?.principal_tags;
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) return [];
  const pairs: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(tags)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') pairs.push([name, first]);
  }
  return pairs;
}

/** `aws:username`: the IAM user's name for an access key, the token's subject for a JWT. */
function userName(principal: Caller['principal']): string | undefined {
  if (principal.kind === 'jwt') return String(principal.claims.sub);
  return /^arn:aws:iam::\d{12}:user\/(?:.*\/)?([^/]+)$/.exec(principal.arn)?.[1];
}

function claimValue(value: unknown): string | string[] | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.filter((item) => ['string', 'number', 'boolean'].includes(typeof item)).map(String);
  return undefined;
}

export function requestKeys(caller: Caller, facts: RequestFacts, now = Date.now()): Map<string, string | readonly string[]> {
  const { principal, request } = caller;
  const keys = new Map<string, string | readonly string[]>();
  const set = (key: string, value: string | readonly string[] | undefined) => {
    if (value !== undefined) keys.set(normalizeConditionKey(key), value);
  };
  set('aws:PrincipalArn', principal.arn);
  set('aws:PrincipalAccount', principal.account);
  set('aws:username', userName(principal));
  set('aws:SourceIp', request.sourceIp);
  set('aws:UserAgent', request.userAgent?.slice(0, 256));
  set('aws:SecureTransport', request.secureTransport === true ? 'true' : 'false');
  set('aws:CurrentTime', new Date(now).toISOString());
  set('aws:EpochTime', String(Math.floor(now / 1000)));
  set('kms:CallerAccount', principal.account);
  set('edgekms:Origin', request.origin);
  for (const [claim, value] of Object.entries(principal.claims)) set(`jwt:${claim}`, claimValue(value));
  for (const [tag, value] of principalTags(principal.claims)) set(`aws:PrincipalTag/${tag}`, value);
  if (facts.encryptionContext) {
    const entries = Object.entries(facts.encryptionContext);
    set('kms:EncryptionContextKeys', entries.map(([key]) => key));
    for (const [key, value] of entries) set(`kms:EncryptionContext:${key}`, value);
  }
  set('kms:EncryptionAlgorithm', facts.encryptionAlgorithm);
  set('kms:SigningAlgorithm', facts.signingAlgorithm);
  set('kms:MacAlgorithm', facts.macAlgorithm);
  set('kms:MessageType', facts.messageType);
  set('kms:KeySpec', facts.keySpec);
  set('kms:KeyUsage', facts.keyUsage);
  set('kms:RequestAlias', caller.requestAlias);
  set('kms:ResourceAliases', caller.resourceAliases);
  for (const [name, value] of Object.entries(facts)) if (name.startsWith('kms:')) set(name, value as string | string[]);
  return keys;
}
