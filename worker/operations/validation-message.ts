import type { z } from 'zod';

/**
 * AWS KMS's wording of a request that breaks the model's constraints:
 * "1 validation error detected: Value 'x' at 'keyId' failed to satisfy
 * constraint: Member must ...", members named in lowerCamel case, list items
 * as `tags.1.member.tagKey`, and "; " between several. Clients and tests
 * written against AWS match on this text.
 */

/** Members whose value is never repeated back: bytes, and bearer grant tokens. */
const NOT_ECHOED = new Set(['Plaintext', 'CiphertextBlob', 'Message', 'Signature', 'Mac', 'PublicKey', 'GrantToken', 'GrantTokens', 'XksProxyAuthenticationCredential', 'RawSecretAccessKey', 'KeyStorePassword']);
/** Maps whose keys are the caller's own strings, kept as written. */
const MAPS = new Set(['EncryptionContext', 'SourceEncryptionContext', 'DestinationEncryptionContext', 'EncryptionContextSubset', 'EncryptionContextEquals']);

const lowerCamel = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);

function memberPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, index) => {
      if (typeof segment === 'number') return `${segment + 1}.member`;
      const name = String(segment);
      return MAPS.has(String(path[index - 1])) ? name : lowerCamel(name);
    })
    .join('.');
}

function constraint(issue: z.core.$ZodIssue): string {
  if (issue.message.startsWith('Member must')) return issue.message;
  switch (issue.code) {
    case 'invalid_value':
      return `Member must satisfy enum value set: [${issue.values.map(String).join(', ')}]`;
    case 'too_small':
      return issue.origin === 'number' || issue.origin === 'int'
        ? `Member must have value greater than or equal to ${issue.minimum}`
        : `Member must have length greater than or equal to ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'number' || issue.origin === 'int'
        ? `Member must have value less than or equal to ${issue.maximum}`
        : `Member must have length less than or equal to ${issue.maximum}`;
    case 'invalid_format':
      return issue.format === 'regex' && 'pattern' in issue
        ? `Member must satisfy regular expression pattern: ${String(issue.pattern).replace(/^\/|\/[a-z]*$/g, '')}`
        : `Member must be ${issue.format}`;
    case 'invalid_type':
      return issue.input === undefined ? 'Member must not be null' : `Member must be of type ${issue.expected}`;
    case 'unrecognized_keys':
      return `Member must not have the fields ${issue.keys.join(', ')}`;
    default:
      return `Member must be valid (${issue.message})`;
  }
}

function valueOf(issue: z.core.$ZodIssue): string {
  const member = issue.path.find((segment) => typeof segment === 'string' && NOT_ECHOED.has(segment));
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'Value null';
  if (member === undefined && (typeof issue.input === 'string' || typeof issue.input === 'number')) return `Value '${issue.input}'`;
  return 'Value';
}

export function validationMessage(issues: readonly z.core.$ZodIssue[]): string {
  const details = issues.map((issue) => `${valueOf(issue)} at '${memberPath(issue.path) || 'body'}' failed to satisfy constraint: ${constraint(issue)}`);
  return `${issues.length} validation error${issues.length === 1 ? '' : 's'} detected: ${details.join('; ')}`;
}
