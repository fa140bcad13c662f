import { BlockList, isIP } from 'node:net';

/**
 * Whether Vigil may connect to a URL, host or address it was given: stream sources, webhook
 * endpoints and GPU nodes. Every caller refuses the same kinds of address, spelled the same way
 * (numeric and hex IPv4, trailing dots, `localhost` names, and IPv6 addresses that carry an IPv4
 * one: mapped, compatible, NAT64, 6to4, Teredo, judged by that IPv4 address); they differ only in
 * which kinds they allow, named in OUTBOUND_RULES. Cloud metadata endpoints and reserved ranges
 * (multicast, broadcast, documentation, special-purpose) are refused whatever a caller allows:
 * nothing Vigil calls lives there, and metadata services hand out the machine's credentials.
 *
 * Only the host as written is judged here. A name can resolve to anything, so callers that connect
 * check each resolved address again with refusedAddress (at save time and on every connection).
 */
export type AddressKind = 'loopback' | 'link-local' | 'private' | 'reserved';

export interface AddressRules {
  /** This machine: 127.0.0.0/8, ::1, 0.0.0.0, :: and `localhost` names. */
  allowLoopback: boolean;
  /** RFC 1918, CGNAT 100.64/10, 0/8, benchmarking 198.18/15, unique-local fc00::/7, site-local fec0::/10, local-use NAT64 64:ff9b:1::/48. */
  allowPrivate: boolean;
  /** 169.254/16 and fe80::/10 (metadata endpoints stay refused). */
  allowLinkLocal: boolean;
  // Reserved addresses (multicast, broadcast, documentation, IETF protocol assignments, 240/4)
  // have no rule: no caller has a reason to reach them.
}

/** What each kind of outbound call may reach. */
export const OUTBOUND_RULES = {
  /** Cameras on private networks are normal; loopback only in development (file sources allowed). */
  streamSource: (allowLoopback: boolean): AddressRules => ({
    allowLoopback,
    allowPrivate: true,
    allowLinkLocal: false,
  }),
  /** Partners on the internet; WEBHOOK_ALLOW_PRIVATE_URLS opens everything for development and tests. */
  webhook: (allowPrivate: boolean): AddressRules => ({
    allowLoopback: allowPrivate,
    allowPrivate,
    allowLinkLocal: allowPrivate,
  }),
  /** VLLM_NODES is the operator's word: a node may be on this machine or a private network. */
  configuredGpuNode: { allowLoopback: true, allowPrivate: true, allowLinkLocal: false } as AddressRules,
  /**
   * Registered through the API: GPU nodes sit on private networks, but a node on the workers' own
   * machine belongs in VLLM_NODES, where the operator decides it.
   */
  registeredGpuNode: { allowLoopback: false, allowPrivate: true, allowLinkLocal: false } as AddressRules,
} as const;

export class OutboundUrlError extends Error {
  constructor(
    message: string,
    /** Set when the URL was refused for where it points, not for how it is written. */
    readonly refused?: AddressKind,
  ) {
    super(message);
    this.name = 'OutboundUrlError';
  }
}

export const MAX_URL_LENGTH = 2048;

const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('0.0.0.0', 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addAddress('::', 'ipv6');

const PRIVATE = new BlockList();
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4');
PRIVATE.addSubnet('0.0.0.0', 8, 'ipv4');
// Benchmarking, and the "fake IP" range some VPN and proxy clients answer DNS with.
PRIVATE.addSubnet('198.18.0.0', 15, 'ipv4');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');
PRIVATE.addSubnet('fec0::', 10, 'ipv6');
// Local-use NAT64 (RFC 8215): a translator run by this network, into whatever it routes to. Where
// the IPv4 address sits depends on the prefix length the network chose, so the whole /48 counts.
PRIVATE.addSubnet('64:ff9b:1::', 48, 'ipv6');

/** Special-purpose ranges that are no unicast destination on the internet. */
const RESERVED = new BlockList();
RESERVED.addSubnet('192.0.0.0', 24, 'ipv4'); // IETF protocol assignments
RESERVED.addSubnet('192.0.2.0', 24, 'ipv4'); // documentation
RESERVED.addSubnet('198.51.100.0', 24, 'ipv4');
RESERVED.addSubnet('203.0.113.0', 24, 'ipv4');
RESERVED.addSubnet('192.88.99.0', 24, 'ipv4'); // the retired 6to4 relay anycast
RESERVED.addSubnet('224.0.0.0', 4, 'ipv4'); // multicast
RESERVED.addSubnet('240.0.0.0', 4, 'ipv4'); // reserved, and 255.255.255.255
RESERVED.addSubnet('ff00::', 8, 'ipv6'); // multicast
RESERVED.addSubnet('100::', 64, 'ipv6'); // discard-only
RESERVED.addSubnet('2001:db8::', 32, 'ipv6'); // documentation
RESERVED.addSubnet('3fff::', 20, 'ipv6');
RESERVED.addSubnet('2001:10::', 28, 'ipv6'); // ORCHID, not routable
RESERVED.addSubnet('2001:20::', 28, 'ipv6');

/**
 * Cloud instance services and their names: metadata (AWS, GCP, Azure, OpenStack; AWS over IPv6;
 * Alibaba; Oracle's classic 192.0.0.192) and Azure's platform endpoint (WireServer, 168.63.129.16),
 * which answers any VM in Azure from an otherwise public address.
 */
const METADATA = new BlockList();
METADATA.addAddress('169.254.169.254', 'ipv4');
METADATA.addAddress('fd00:ec2::254', 'ipv6');
METADATA.addAddress('100.100.100.200', 'ipv4');
METADATA.addAddress('192.0.0.192', 'ipv4');
METADATA.addAddress('168.63.129.16', 'ipv4');
const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata.goog']);

const familyOf = (ip: string): 'ipv4' | 'ipv6' => (isIP(ip) === 6 ? 'ipv6' : 'ipv4');

/** IPv4-mapped IPv6 (`::ffff:10.0.0.1`, `::ffff:a00:1`) as dotted IPv4; anything else lower-cased. */
export function unmapIp(ip: string): string {
  const lower = ip.toLowerCase().replace(/^\[|\]$/g, '');
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1]!;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const high = parseInt(hex[1]!, 16);
    const low = parseInt(hex[2]!, 16);
    return [high >> 8, high & 255, low >> 8, low & 255].join('.');
  }
  return lower;
}

/**
 * The eight 16-bit groups of an IPv6 address, or null if it is not one. The WHATWG URL parser
 * writes every spelling (dotted tails, upper case, leading zeros, `::` anywhere) in one canonical
 * form, so only `::` is left to expand.
 */
function ipv6Groups(ip: string): number[] | null {
  if (isIP(ip) !== 6) return null;
  let canonical: string;
  try {
    canonical = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
  const [head = '', tail] = canonical.split('::');
  const split = (part: string) => (part ? part.split(':') : []);
  const left = split(head);
  const right = tail === undefined ? [] : split(tail);
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  const groups = [...left, ...zeros, ...right].map((group) => parseInt(group, 16));
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : null;
}

const dotted = (high: number, low: number): string => [high >> 8, high & 255, low >> 8, low & 255].join('.');

/**
 * The IPv4 address an IPv6 address stands for, where the connection ends up at that IPv4 address
 * (or at a translator in front of it): IPv4-mapped `::ffff:0:0/96`, SIIT `::ffff:0:0:0/96`,
 * IPv4-compatible `::/96` (deprecated, still routed by some stacks), NAT64 `64:ff9b::/96`, 6to4
 * `2002::/16` and Teredo `2001::/32` (the client's address, stored inverted). Null for any other
 * address.
 */
export function embeddedIpv4(ip: string): string | null {
  const g = ipv6Groups(ip);
  if (!g) return null;
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zero(0, 5) && g[5] === 0xffff) return dotted(g[6]!, g[7]!);
  if (zero(0, 4) && g[4] === 0xffff && g[5] === 0) return dotted(g[6]!, g[7]!);
  if (zero(0, 6) && (g[6] !== 0 || g[7]! > 1)) return dotted(g[6]!, g[7]!);
  if (g[0] === 0x64 && g[1] === 0xff9b && zero(2, 6)) return dotted(g[6]!, g[7]!);
  if (g[0] === 0x2002) return dotted(g[1]!, g[2]!);
  if (g[0] === 0x2001 && g[1] === 0) return dotted(g[6]! ^ 0xffff, g[7]! ^ 0xffff);
  return null;
}

/** The address to judge: IPv4 as it is, an IPv6 address carrying an IPv4 one as that, without a zone index. */
function judgedAddress(rawIp: string): string {
  const ip = rawIp
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '');
  return embeddedIpv4(ip) ?? ip;
}

function isMetadataAddress(ip: string): boolean {
  return isIP(ip) !== 0 && METADATA.check(ip, familyOf(ip));
}

/** The kind of an IP address Vigil treats with care, or null for a public one (or not an IP). */
export function addressKind(rawIp: string): AddressKind | null {
  const ip = judgedAddress(rawIp);
  if (isIP(ip) === 0) return null;
  const family = familyOf(ip);
  if (LINK_LOCAL.check(ip, family)) return 'link-local';
  if (LOOPBACK.check(ip, family)) return 'loopback';
  if (PRIVATE.check(ip, family)) return 'private';
  if (RESERVED.check(ip, family)) return 'reserved';
  return null;
}

function allows(kind: AddressKind, rules: AddressRules): boolean {
  switch (kind) {
    case 'loopback':
      return rules.allowLoopback;
    case 'private':
      return rules.allowPrivate;
    case 'link-local':
      return rules.allowLinkLocal;
    case 'reserved':
      return false;
  }
}

/** Why a connection may not go to this IP address under these rules, or null when it may. */
export function refusedAddress(rawIp: string, rules: AddressRules): AddressKind | null {
  const ip = judgedAddress(rawIp);
  if (isMetadataAddress(ip)) return 'link-local';
  const kind = addressKind(ip);
  return kind && !allows(kind, rules) ? kind : null;
}

/**
 * Why a URL may not point at this host as written (a name or an IP literal, as canonicalHost
 * gives it), or null when it may. Names other than `localhost` and metadata names pass: their
 * addresses are judged when they are resolved.
 */
export function refusedHost(host: string, rules: AddressRules): AddressKind | null {
  if (METADATA_HOSTS.has(host)) return 'link-local';
  if (isIP(host) !== 0) return refusedAddress(host, rules);
  if (host === 'localhost' || host.endsWith('.localhost')) return rules.allowLoopback ? null : 'loopback';
  return null;
}

/**
 * The host of a URL as a resolver would see it. WHATWG URL parsing normalises numeric IPv4 forms
 * (`2852039166`, `0x7f.1`, `127.1`) only for special schemes such as http, so the host of any
 * other scheme (rtsp) is re-parsed as http; brackets and a trailing dot go, IPv4-mapped IPv6
 * (`::ffff:a9fe:101`) becomes dotted IPv4.
 */
export function canonicalHost(url: URL): string {
  let host = url.hostname;
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && host) {
    try {
      host = new URL(`http://${url.host}`).hostname;
    } catch {
      throw new OutboundUrlError('has an invalid host');
    }
  }
  return unmapIp(host.replace(/^\[|\]$/g, '').replace(/\.$/, ''));
}

/**
 * Parses a URL given by a user or an operator: bounded length, and no spaces or control characters,
 * which could smuggle options or headers into the program that connects.
 */
export function parseOutboundUrl(raw: string, maxLength = MAX_URL_LENGTH): URL {
  if (raw.length > maxLength) throw new OutboundUrlError(`must be at most ${maxLength} characters`);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
  if (/[\s\u0000-\u001f\u007f]/.test(raw))
    throw new OutboundUrlError('must not contain spaces or control characters');
  try {
    return new URL(raw);
  } catch {
    throw new OutboundUrlError('is not a valid URL');
  }
}

export interface HttpUrlRules {
  addresses: AddressRules;
  /** A user name or password in the URL (never for webhooks and nodes: secrets go elsewhere). */
  allowCredentials?: boolean;
  /** A query string (refused where the URL is a base that paths are appended to). */
  allowQuery?: boolean;
  maxLength?: number;
}

const KIND_TEXT: Record<AddressKind, string> = {
  loopback: 'a loopback address',
  'link-local': 'a link-local address',
  private: 'a private address',
  reserved: 'a reserved address (multicast, broadcast, documentation or special-purpose)',
};

/** `must not point at a loopback address`, and so on. */
export function refusedAddressMessage(kind: AddressKind): string {
  return `must not point at ${KIND_TEXT[kind]}`;
}

/**
 * An http(s) URL checked as written: syntax, scheme, credentials, query, a host, and the host
 * under the address rules. Returns the parsed URL and its canonical host.
 */
export function checkHttpUrl(raw: string, rules: HttpUrlRules): { url: URL; host: string } {
  const url = parseOutboundUrl(raw, rules.maxLength);
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new OutboundUrlError('scheme must be https or http');
  if (!rules.allowCredentials && (url.username || url.password))
    throw new OutboundUrlError('must not contain credentials');
  if (!rules.allowQuery && url.search) throw new OutboundUrlError('must not contain a query string');
  const host = canonicalHost(url);
  if (!host) throw new OutboundUrlError('must name a host');
  const refused = refusedHost(host, rules.addresses);
  if (refused) throw new OutboundUrlError(refusedAddressMessage(refused), refused);
  return { url, host };
}
