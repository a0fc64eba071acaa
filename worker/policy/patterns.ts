/**
 * IAM wildcard patterns (`*` any run, `?` one character) and policy
 * variables (`${jwt:sub}`, `${aws:PrincipalAccount}`, and the escapes `${*}`,
 * `${?}`, `${$}`). A variable's value is always literal: a caller whose `sub`
 * is "*" does not turn a pattern into a wildcard.
 */
export type Lookup = (key: string) => string | undefined;

type Piece = { literal: string } | { wildcard: '*' | '?' };

/** Splits a policy value into literal text and wildcards, substituting variables; undefined if one is unknown. */
function pieces(pattern: string, lookup: Lookup, wildcards: boolean): Piece[] | undefined {
  const out: Piece[] = [];
  const token = /\$\{([^}]+)\}|[*?]/g;
  let last = 0;
  for (let match = token.exec(pattern); match; match = token.exec(pattern)) {
    if (match.index > last) out.push({ literal: pattern.slice(last, match.index) });
    last = token.lastIndex;
    const variable = match[1];
    if (variable === undefined) {
      out.push(wildcards ? { wildcard: match[0] as '*' | '?' } : { literal: match[0] });
    } else if (variable === '*' || variable === '?' || variable === '$') {
      out.push({ literal: variable });
    } else {
      const value = lookup(variable.toLowerCase());
      if (value === undefined) return undefined;
      out.push({ literal: value });
    }
  }
  if (last < pattern.length) out.push({ literal: pattern.slice(last) });
  return out;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Substitutes variables; undefined when a variable has no value in this request. */
export function substitute(value: string, lookup: Lookup): string | undefined {
  const parts = pieces(value, lookup, false);
  return parts?.map((part) => ('literal' in part ? part.literal : part.wildcard)).join('');
}

export function matchesPattern(pattern: string, value: string, lookup: Lookup, { ignoreCase = false } = {}): boolean {
  const parts = pieces(pattern, lookup, true);
  if (!parts) return false;
  const source = parts.map((part) => ('literal' in part ? escape(part.literal) : part.wildcard === '*' ? '.*' : '.')).join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}
