import { InvalidMarkerException } from '../errors';

/**
 * List operations page with Limit and an opaque Marker, as AWS KMS does. The
 * marker carries the sort key of the last item returned; the next page starts
 * after it, so pages stay stable when items are added or removed meanwhile.
 */
export interface Page<T> {
  items: T[];
  nextMarker?: string;
}

export function encodeMarker(sortKey: string): string {
  return new TextEncoder().encode(sortKey).toBase64({ alphabet: 'base64url', omitPadding: true });
}

export function decodeMarker(marker: string | undefined): string | undefined {
  if (marker === undefined) return undefined;
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(
      Uint8Array.fromBase64(marker, { alphabet: 'base64url' }),
    );
    if (text.length > 0) return text;
  } catch {
    // fall through
  }
  throw new InvalidMarkerException('The Marker is not one this service issued.');
}

/** Pages through `items`, which must be sorted by `sortKey`. */
export function paginate<T>(
  items: readonly T[],
  sortKey: (item: T) => string,
  limit: number | undefined,
  marker: string | undefined,
): Page<T> {
  const after = decodeMarker(marker);
  const rest = after === undefined ? items : items.filter((item) => sortKey(item) > after);
  const size = limit ?? 100;
  return pageFromLookahead(rest.slice(0, size + 1), size, sortKey);
}

/** A page from up to `limit + 1` sorted items after the marker; the extra one says "more". */
export function pageFromLookahead<T>(rows: readonly T[], limit: number, sortKey: (item: T) => string): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return rows.length > limit && last !== undefined ? { items, nextMarker: encodeMarker(sortKey(last)) } : { items };
}

/** The `NextMarker`/`Truncated` fields of a list response. */
export function pageFields(page: Page<unknown>) {
  return page.nextMarker === undefined
    ? { Truncated: false }
    : { NextMarker: page.nextMarker, Truncated: true };
}
