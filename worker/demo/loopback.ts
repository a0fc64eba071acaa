import { AccessDeniedException } from '../errors';
import { isIpv4 } from '../wire/ip-address';

/**
 * DNS rebinding: a page on evil.example that points its own name at
 * 127.0.0.1 reaches a local demo as its own origin, so the browser lets it
 * read the answers, and demo sign-in would hand it an administrator's token.
 * The browser still sends the name the page used, in Host, and, on a POST,
 * the page's origin, in Origin. So in demo mode the demo routes answer only
 * to a loopback Host (localhost, *.localhost, 127.0.0.0/8, [::1]; any port),
 * and sign-in only to a request with no Origin (not a browser page: curl, a
 * test) or with a loopback Origin on that same host (the demo's own page).
 * Names under .localhost and loopback addresses cannot be an attacker's.
 */

// Host is a bare name or bracketed IPv6 address and an optional port: no userinfo, path or spaces.
const HOST_SYNTAX = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/;

/** `host` (host[:port]) as a URL of `scheme`, so that case, IPv4 forms, IPv6 forms and default ports are normalized. */
function parseHost(host: string, scheme = 'http:'): URL | undefined {
  if (!HOST_SYNTAX.test(host)) return undefined;
  try {
    return new URL(`${scheme}//${host}`);
  } catch {
    return undefined;
  }
}

/** `hostname` as a URL normalizes it: lower case, IPv4 in dotted decimal, IPv6 bracketed and compressed. */
function isLoopbackHostname(hostname: string): boolean {
  const ipv4Loopback = isIpv4(hostname) && hostname.startsWith('127.');
  return hostname === 'localhost' || hostname.endsWith('.localhost') || ipv4Loopback || hostname === '[::1]';
}

/** Bounded, so that a refusal cannot be made to echo a long header back. */
const quoted = (value: string) => `'${value.slice(0, 100)}'`;

/** The request's Host, if it is a loopback one; else a 403. */
export function requireLoopbackHost(request: Request): string {
  const header = request.headers.get('host');
  const inUrl = new URL(request.url).host;
  // workerd builds the URL from Host; a proxy in front may have rewritten either, so both must be loopback.
  for (const named of header === null ? [inUrl] : [header, inUrl]) {
    const parsed = parseHost(named);
    if (!parsed || !isLoopbackHostname(parsed.hostname)) {
      throw new AccessDeniedException(
        `The demo answers only on a loopback host (localhost, *.localhost, 127.0.0.0/8, [::1]), not ${quoted(named)}: open it at http://localhost:<port>/.`,
      );
    }
  }
  return header ?? inUrl;
}

/** For demo sign-in: no Origin, or a loopback http(s) origin on the request's own host; else a 403. */
export function requireLoopbackOrigin(request: Request): void {
  const origin = request.headers.get('origin');
  if (origin === null) return;
  const host = requireLoopbackHost(request);
  let page: URL | undefined;
  try {
    page = new URL(origin);
  } catch {
    page = undefined;
  }
  const sameHost =
    page !== undefined &&
    (page.protocol === 'http:' || page.protocol === 'https:') &&
    page.origin === origin.toLowerCase() &&
    isLoopbackHostname(page.hostname) &&
    parseHost(host, page.protocol)?.host === page.host;
  if (!sameHost) {
    throw new AccessDeniedException(`Demo sign-in answers only the demo's own page, on ${quoted(host)}; the request came from Origin ${quoted(origin)}.`);
  }
}
