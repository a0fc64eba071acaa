import type { ConditionClause } from './document';
import { matchesPattern, substitute, type Lookup } from './patterns';

/**
 * One condition clause against the request's condition keys, with the IAM
 * semantics: values within a key OR, a negated operator is true when no value
 * matches, `IfExists` passes a missing key, `ForAnyValue`/`ForAllValues`
 * quantify over multi-valued keys (ForAllValues is true for a missing key,
 * as in IAM). Without a set qualifier a multi-valued key behaves as ForAnyValue.
 */
export type RequestKeys = ReadonlyMap<string, string | readonly string[]>;

const NEGATED = /Not(Equals|Like)/;

function toDate(text: string): number {
  return /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : Date.parse(text);
}

function compare(operator: string, expected: string, actual: string, lookup: Lookup): boolean {
  const substituted = substitute(expected, lookup);
  if (substituted === undefined) return false;
  switch (operator) {
    case 'StringEquals':
    case 'StringNotEquals':
      return actual === substituted;
    case 'StringEqualsIgnoreCase':
    case 'StringNotEqualsIgnoreCase':
      return actual.toLowerCase() === substituted.toLowerCase();
    case 'StringLike':
    case 'StringNotLike':
    case 'ArnEquals':
    case 'ArnNotEquals':
    case 'ArnLike':
    case 'ArnNotLike':
      return matchesPattern(expected, actual, lookup);
    case 'Bool':
      return actual.toLowerCase() === substituted.toLowerCase();
  }
  const numeric = operator.startsWith('Numeric');
  const a = numeric ? Number(actual) : toDate(actual);
  const b = numeric ? Number(substituted) : toDate(substituted);
  if (Number.isNaN(a) || Number.isNaN(b) || actual === '' || substituted === '') return false;
  switch (operator.replace(/^(Numeric|Date)/, '')) {
    case 'Equals':
      return a === b;
    case 'NotEquals':
      return a === b; // negated below
    case 'LessThan':
      return a < b;
    case 'LessThanEquals':
      return a <= b;
    case 'GreaterThan':
      return a > b;
    case 'GreaterThanEquals':
      return a >= b;
  }
  return false;
}

export function conditionHolds(clause: ConditionClause, keys: RequestKeys, lookup: Lookup): boolean {
  const raw = keys.get(clause.key);
  const values = raw === undefined ? [] : typeof raw === 'string' ? [raw] : [...raw];
  if (clause.operator === 'Null') {
    const wantsMissing = clause.values.some((value) => value.toLowerCase() === 'true');
    return wantsMissing === (values.length === 0);
  }
  const negated = NEGATED.test(clause.operator);
  if (values.length === 0) {
    if (clause.ifExists || clause.set === 'ForAllValues') return true;
    return clause.set === undefined && negated;
  }
  const matches = (actual: string) => {
    const any = clause.values.some((expected) => compare(clause.operator, expected, actual, lookup));
    return negated ? !any : any;
  };
  return clause.set === 'ForAllValues' ? values.every(matches) : values.some(matches);
}
