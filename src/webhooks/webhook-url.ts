import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { forbiddenAddressKind } from '../media/source-url';

/**
 * The policy for webhook URLs. Unlike stream sources (cameras on private networks are normal),
 * a webhook goes to a partner on the internet, so besides loopback and link-local (cloud metadata)
 * the private ranges are refused too: RFC 1918, CGNAT 100.64/10 and unique-local fc00::/7. The
 * operator may allow them (WEBHOOK_ALLOW_PRIVATE_URLS, for development and tests). The check runs
 * on the addresses the host resolves to, when the URL is saved and again on every connection
 * (a name can resolve differently later: DNS rebinding).
 */
export class WebhookUrlError extends Error {}

export type ForbiddenKind = 'loopback' | 'link-local' | 'private';

const MAX_URL_LENGTH = 2048;
const LOOKUP_TIMEOUT_MS = 5_000;

const PRIVATE = new BlockList();
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4');
PRIVATE.addSubnet('0.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');

/** IPv4-mapped IPv6 (`::ffff:10.0.0.1`, `::ffff:a00:1`) as dotted IPv4; anything else unchanged. */
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

/** Why a webhook may not be sent to this IP address, or null when it may. */
export function forbiddenWebhookAddress(rawIp: string): ForbiddenKind | null {
  const ip = unmapIp(rawIp);
  const family = isIP(ip);
  if (family === 0) return null;
  const sourceKind = forbiddenAddressKind(ip);
  if (sourceKind) return sourceKind;
  if (PRIVATE.check(ip, family === 6 ? 'ipv6' : 'ipv4')) return 'private';
  return null;
}

const KIND_TEXT: Record<ForbiddenKind, string> = {
  loopback: 'a loopback address',
  'link-local': 'a link-local address',
  private: 'a private address',
};

export function forbiddenAddressMessage(kind: ForbiddenKind): string {
  return `must not point at ${KIND_TEXT[kind]} (the operator can allow it with WEBHOOK_ALLOW_PRIVATE_URLS)`;
}

/** Syntax: http(s), a host, no credentials, no spaces or control characters. */
export function parseWebhookUrl(raw: string): URL {
  if (raw.length > MAX_URL_LENGTH) throw new WebhookUrlError(`must be at most ${MAX_URL_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
  if (/[\s\u0000-\u001f\u007f]/.test(raw))
    throw new WebhookUrlError('must not contain spaces or control characters');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookUrlError('is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new WebhookUrlError('scheme must be https or http');
  if (url.username || url.password) throw new WebhookUrlError('must not contain credentials');
  if (!url.hostname) throw new WebhookUrlError('must name a host');
  url.hash = '';
  return url;
}

export type LookupAll = (host: string) => Promise<string[]>;

/** Every address a host name resolves to, through the system resolver (as connections use). */
export const systemLookup: LookupAll = (host) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('DNS lookup timed out')), LOOKUP_TIMEOUT_MS);
    dnsLookup(host, { all: true, verbatim: true }, (error, addresses: LookupAddress[]) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(addresses.map((entry) => entry.address));
    });
  });

export interface WebhookUrlPolicy {
  allowPrivate: boolean;
  lookup?: LookupAll;
}

/**
 * The whole check at create/update time: syntax, then the resolved addresses (all of them must be
 * allowed). Returns the normalised URL.
 */
export async function checkWebhookUrl(raw: string, policy: WebhookUrlPolicy): Promise<string> {
  const url = parseWebhookUrl(raw);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'metadata.google.internal') throw new WebhookUrlError(forbiddenAddressMessage('link-local'));
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = await (policy.lookup ?? systemLookup)(host);
    } catch {
      throw new WebhookUrlError('host does not resolve');
    }
    if (addresses.length === 0) throw new WebhookUrlError('host does not resolve');
  }
  if (!policy.allowPrivate) {
    for (const address of addresses) {
      const kind = forbiddenWebhookAddress(address);
      if (kind) throw new WebhookUrlError(forbiddenAddressMessage(kind));
    }
  }
  return url.toString();
}
