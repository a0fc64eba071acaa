/**
 * IAM wildcard patterns (`*` any run, `?` one character) and policy
 * variables (`${jwt:sub}`, `${aws:PrincipalAccount}`, and the escapes `${*}`,
 * `${?}`, `${$}`). A variable's value is always literal: a caller whose `sub`
 * is "*" does not turn a pattern into a wildcard. Matching is linear in the
 * value's length times the pattern's, never exponential: values come from
 * callers.
 */
export type Lookup = (key: string) => string | undefined;

/** One pattern position: a literal character, or a wildcard. */
type Token = string | { wildcard: '*' | '?' };

/** Tokens of a policy value with variables substituted; undefined if a variable has no value. */
function tokenize(pattern: string, lookup: Lookup, wildcards: boolean): Token[] | undefined {
  const tokens: Token[] = [];
  const syntax = /\$\{([^}]+)\}|[*?]/g;
  let last = 0;
  const literal = (text: string) => tokens.push(...text);
  for (let match = syntax.exec(pattern); match; match = syntax.exec(pattern)) {
    literal(pattern.slice(last, match.index));
    last = syntax.lastIndex;
    const variable = match[1];
    if (variable === undefined) {
      if (wildcards) tokens.push({ wildcard: match[0] as '*' | '?' });
      else literal(match[0]);
    } else if (variable === '*' || variable === '?' || variable === '$') {
      literal(variable);
    } else {
      const value = lookup(variable);
      if (value === undefined) return undefined;
      literal(value);
    }
  }
  literal(pattern.slice(last));
  return tokens;
}

/** Substitutes variables; undefined when a variable has no value in this request. */
export function substitute(value: string, lookup: Lookup): string | undefined {
  return tokenize(value, lookup, false)?.join('');
}

/**
 * Greedy wildcard matching that backtracks only to the most recent `*`:
 * O(value × pattern) at worst, where a backtracking regex is exponential.
 */
function matchTokens(tokens: Token[], value: string, ignoreCase: boolean): boolean {
  const same = ignoreCase ? (a: string, b: string) => a.toLowerCase() === b.toLowerCase() : (a: string, b: string) => a === b;
  const chars = [...value];
  let t = 0;
  let v = 0;
  let star = -1;
  let resume = 0;
  while (v < chars.length) {
    const token = tokens[t];
    if (token !== undefined && (typeof token === 'string' ? same(token, chars[v]!) : token.wildcard === '?')) {
      t++;
      v++;
    } else if (token !== undefined && typeof token !== 'string' && token.wildcard === '*') {
      star = t++;
      resume = v;
    } else if (star >= 0) {
      t = star + 1;
      v = ++resume;
    } else {
      return false;
    }
  }
  while (t < tokens.length && typeof tokens[t] !== 'string' && (tokens[t] as { wildcard: string }).wildcard === '*') t++;
  return t === tokens.length;
}

export function matchesPattern(pattern: string, value: string, lookup: Lookup, { ignoreCase = false } = {}): boolean {
  const tokens = tokenize(pattern, lookup, true);
  return tokens !== undefined && matchTokens(tokens, value, ignoreCase);
}
