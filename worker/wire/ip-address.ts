/**
 * Whether a string is an IP address literal: IPv4 dotted decimal, or IPv6
 * (RFC 4291 text, with `::` and an embedded IPv4 tail, no zone). Headers
 * that claim to name the client's address are checked with it before the
 * audit trail keeps them.
 */
const IPV4_OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}$`);
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;
/** The longest IPv6 text: eight groups of four, or six and an IPv4 tail. */
export const MAX_IP_LITERAL = 45;

export function isIpv4(text: string): boolean {
  return IPV4.test(text);
}

export function isIpv6(text: string): boolean {
  if (text.length > MAX_IP_LITERAL || !text.includes(':')) return false;
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groupsOf = (half: string) => (half === '' ? [] : half.split(':'));
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  const groups = [...head, ...tail];
  // An IPv4 tail stands for the last two groups.
  const last = groups[groups.length - 1];
  let count = groups.length;
  if (last !== undefined && last.includes('.')) {
    if (!isIpv4(last)) return false;
    groups.pop();
    count++;
  }
  if (!groups.every((group) => HEX_GROUP.test(group))) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

export function isIpLiteral(text: string): boolean {
  return isIpv4(text) || isIpv6(text);
}
