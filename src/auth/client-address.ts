import { isIPv4, isIPv6 } from 'node:net';

/**
 * The part of a client's address that budgets are kept for. An IPv4 address is itself (an
 * IPv4-mapped IPv6 address is its IPv4 address); an IPv6 address stands for its /64, since one
 * host is usually given a whole /64 and could otherwise take a fresh address for every attempt.
 * Anything else (a proxy's odd header, "unknown") is kept as given, cut to 64 characters.
 */
export function clientBucket(address: string): string {
  const trimmed = address.trim().toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(trimmed);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (isIPv4(trimmed)) return trimmed;
  const withoutZone = trimmed.split('%')[0]!;
  if (isIPv6(withoutZone)) return `${ipv6Groups(withoutZone).slice(0, 4).join(':')}::/64`;
  return trimmed.slice(0, 64);
}

/** The eight 16-bit groups of an IPv6 address, without leading zeros ("::" expanded). */
function ipv6Groups(address: string): string[] {
  let text = address;
  // A trailing dotted IPv4 part stands for the last two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [w, x, y, z] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -dotted[1]!.length)}${((w << 8) | x).toString(16)}:${((y << 8) | z).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => (parseInt(group, 16) || 0).toString(16));
}
