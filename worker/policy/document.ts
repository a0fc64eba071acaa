import { MalformedPolicyDocumentException } from '../errors';
import { isKnownConditionKey, normalizeConditionKey } from './condition-keys';

/**
 * Policy documents in the AWS IAM policy language, parsed once (on
 * PutKeyPolicy / CreateKey for key policies, PutUserPolicy / PutRolePolicy
 * for identity policies) into a normalized form that the evaluator reads.
 * Anything the evaluator would not understand is refused here, so a policy
 * never silently means less, or more, than it says. The two kinds share the
 * grammar; as in IAM, a key policy must say whom it speaks of (Principal)
 * and an identity policy must not (it speaks of the identity it is attached to).
 */
export type PolicyKind = 'key' | 'identity';
export type Effect = 'Allow' | 'Deny';

export interface ConditionClause {
  /** Base operator without qualifiers, e.g. `StringEquals`. */
  operator: string;
  set?: 'ForAnyValue' | 'ForAllValues';
  ifExists: boolean;
  /** Condition key, normalized by `normalizeConditionKey`. */
  key: string;
  values: string[];
}

export interface Statement {
  sid?: string;
  effect: Effect;
  principal?: { any: true } | { arns: string[] };
  notPrincipal?: { arns: string[] };
  action?: string[];
  notAction?: string[];
  resource?: string[];
  notResource?: string[];
  conditions: ConditionClause[];
}

export interface PolicyDocument {
  statements: Statement[];
}

export const MAX_POLICY_LENGTH = 32_768;
/** IAM's quota for a role's inline policies; one document here is at most this long. */
export const MAX_IDENTITY_POLICY_LENGTH = 10_240;

export const STRING_OPERATORS = [
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'ArnEquals',
  'ArnNotEquals',
  'ArnLike',
  'ArnNotLike',
] as const;
export const NUMERIC_OPERATORS = [
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericLessThanEquals',
  'NumericGreaterThan',
  'NumericGreaterThanEquals',
] as const;
export const DATE_OPERATORS = [
  'DateEquals',
  'DateNotEquals',
  'DateLessThan',
  'DateLessThanEquals',
  'DateGreaterThan',
  'DateGreaterThanEquals',
] as const;
const OPERATORS = new Set<string>([...STRING_OPERATORS, ...NUMERIC_OPERATORS, ...DATE_OPERATORS, 'Bool', 'Null']);

const STATEMENT_ELEMENTS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
const ACTION = /^(\*|kms:[A-Za-z*?]+)$/i;
const PRINCIPAL_ARN = /^(\*|\d{12}|arn:aws:(iam|sts)::(\d{12}|\*):[\w+=,.@\-/*|:]+)$/;

function malformed(message: string): never {
  throw new MalformedPolicyDocumentException(message);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringList(value: unknown, element: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || !list.every((item) => typeof item === 'string' && item.length > 0)) {
    malformed(`${element} must be a non-empty string or a list of them.`);
  }
  return list as string[];
}

function parsePrincipal(value: unknown, element: string): { any: true } | { arns: string[] } {
  if (value === '*') return { any: true };
  if (!isObject(value)) malformed(`${element} must be "*" or {"AWS": …}.`);
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== 'AWS') malformed(`${element} supports only the "AWS" principal type.`);
  const arns = stringList(value.AWS, `${element}.AWS`);
  for (const arn of arns) if (!PRINCIPAL_ARN.test(arn)) malformed(`${element} "${arn}" is not an account id, "*" or an IAM/STS ARN.`);
  return arns.includes('*') ? { any: true } : { arns };
}

function parseConditions(value: unknown): ConditionClause[] {
  if (value === undefined) return [];
  if (!isObject(value)) malformed('Condition must be an object.');
  const clauses: ConditionClause[] = [];
  for (const [qualified, block] of Object.entries(value)) {
    const match = /^(?:(ForAnyValue|ForAllValues):)?([A-Za-z]+?)(IfExists)?$/.exec(qualified);
    const operator = match?.[2];
    if (!match || !operator || !OPERATORS.has(operator) || (operator === 'Null' && (match[1] || match[3]))) {
      malformed(`Unknown condition operator ${qualified}.`);
    }
    if (!isObject(block) || Object.keys(block).length === 0) malformed(`Condition ${qualified} must map keys to values.`);
    for (const [key, raw] of Object.entries(block)) {
      const list = Array.isArray(raw) ? raw : [raw];
      if (list.length === 0 || !list.every((item) => ['string', 'number', 'boolean'].includes(typeof item))) {
        malformed(`Condition ${qualified} ${key} must be a value or a list of values.`);
      }
      if (!isKnownConditionKey(key)) malformed(`Unknown condition key ${key}.`);
      clauses.push({
        operator,
        ...(match[1] && { set: match[1] as ConditionClause['set'] }),
        ifExists: match[3] !== undefined,
        key: normalizeConditionKey(key),
        values: list.map(String),
      });
    }
  }
  return clauses;
}

function parseStatement(raw: unknown, index: number, kind: PolicyKind): Statement {
  if (!isObject(raw)) malformed(`Statement ${index} must be an object.`);
  for (const element of Object.keys(raw)) {
    if (!STATEMENT_ELEMENTS.has(element)) malformed(`Statement ${index} has an unknown element ${element}.`);
  }
  if (raw.Effect !== 'Allow' && raw.Effect !== 'Deny') malformed(`Statement ${index} Effect must be Allow or Deny.`);
  const exactlyOne = (a: string, b: string) => {
    if ((raw[a] === undefined) === (raw[b] === undefined)) malformed(`Statement ${index} needs exactly one of ${a} and ${b}.`);
  };
  if (kind === 'key') exactlyOne('Principal', 'NotPrincipal');
  else if (raw.Principal !== undefined || raw.NotPrincipal !== undefined) {
    malformed(`Statement ${index}: an identity policy has no Principal or NotPrincipal; it applies to the identity it is attached to.`);
  }
  exactlyOne('Action', 'NotAction');
  exactlyOne('Resource', 'NotResource');
  if (raw.Sid !== undefined && (typeof raw.Sid !== 'string' || !/^[A-Za-z0-9 _-]*$/.test(raw.Sid))) {
    malformed(`Statement ${index} Sid must be alphanumeric.`);
  }
  const actions = (element: string) => {
    const list = stringList(raw[element], element);
    for (const action of list) if (!ACTION.test(action)) malformed(`${element} "${action}" is not a kms: action.`);
    return list;
  };
  const statement: Statement = {
    effect: raw.Effect,
    conditions: parseConditions(raw.Condition),
    ...(typeof raw.Sid === 'string' && { sid: raw.Sid }),
  };
  if (raw.Principal !== undefined) statement.principal = parsePrincipal(raw.Principal, 'Principal');
  if (raw.NotPrincipal !== undefined) {
    const parsed = parsePrincipal(raw.NotPrincipal, 'NotPrincipal');
    if ('any' in parsed) malformed('NotPrincipal "*" would match nobody.');
    statement.notPrincipal = parsed;
  }
  if (raw.Action !== undefined) statement.action = actions('Action');
  if (raw.NotAction !== undefined) statement.notAction = actions('NotAction');
  if (raw.Resource !== undefined) statement.resource = stringList(raw.Resource, 'Resource');
  if (raw.NotResource !== undefined) statement.notResource = stringList(raw.NotResource, 'NotResource');
  return statement;
}

export function parsePolicy(text: string, kind: PolicyKind = 'key'): PolicyDocument {
  const max = kind === 'key' ? MAX_POLICY_LENGTH : MAX_IDENTITY_POLICY_LENGTH;
  if (text.length > max) malformed(`A${kind === 'key' ? ' key' : 'n identity'} policy is at most ${max} characters.`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    malformed('The policy is not valid JSON.');
  }
  if (!isObject(raw)) malformed('The policy must be a JSON object.');
  for (const element of Object.keys(raw)) {
    if (!['Version', 'Id', 'Statement'].includes(element)) malformed(`Unknown policy element ${element}.`);
  }
  if (raw.Version !== '2012-10-17') malformed('Version must be "2012-10-17".');
  const statements = Array.isArray(raw.Statement) ? raw.Statement : [raw.Statement];
  if (raw.Statement === undefined || statements.length === 0) malformed('The policy has no Statement.');
  return { statements: statements.map((statement, index) => parseStatement(statement, index, kind)) };
}
