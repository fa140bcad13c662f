import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import {
  AddressKind,
  addressKind,
  canonicalHost,
  OUTBOUND_RULES,
  refusedAddress,
} from '../net/outbound-url-policy';

/**
 * Where a stream source's ffmpeg may connect: every connection it makes (the source itself, and for
 * HTTP and HLS every redirect, playlist, segment and key, through the sampler's proxy) is judged
 * here on the address actually connected to, after resolving the name once.
 */
export interface SourceAddressPolicy {
  /** Why a connection to this address and port is refused, or null when it may go ahead. */
  refused(address: string, port: number): AddressKind | null;
  /**
   * Whether the address is on the public internet. Only then may a tenant be told what answered
   * there (an HTTP status, "not a video"): the same facts about a private address would map the
   * operator's network (a closed port, a database, an internal web service) for whoever asks.
   */
  isPublic(address: string, port: number): boolean;
}

/**
 * The stream source rules of the outbound URL policy: private networks allowed (cameras), loopback
 * only when allowed (development and tests, with file sources), link-local, metadata and reserved
 * addresses never.
 */
export function sourceAddressPolicy(allowLoopback: boolean): SourceAddressPolicy {
  const rules = OUTBOUND_RULES.streamSource(allowLoopback);
  return {
    refused: (address) => refusedAddress(address, rules),
    isPublic: (address) => addressKind(address) === null && refusedAddress(address, rules) === null,
  };
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = {
  'http:': 80,
  'https:': 443,
  'rtsp:': 554,
  'rtsps:': 322,
};

/**
 * The host (as canonicalHost writes it: no brackets, no trailing dot) and the port a source URL
 * connects to, the scheme's default port when none is written. Throws OutboundUrlError for a host
 * that cannot be parsed.
 */
export function sourceTarget(url: URL): { host: string; port: number } {
  return { host: canonicalHost(url), port: Number(url.port) || DEFAULT_PORTS[url.protocol] || 0 };
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** All addresses of a host name (or the IP literal itself). Rejects like dns.lookup (ENOTFOUND …). */
export type SourceResolver = (host: string) => Promise<ResolvedAddress[]>;

export const systemResolver: SourceResolver = async (host) => {
  if (isIP(host)) return [{ address: host, family: isIP(host) as 4 | 6 }];
  const addresses = await lookup(host, { all: true });
  return addresses.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

export type TargetCheck =
  | { ok: true; addresses: ResolvedAddress[] }
  | { ok: false; refused: AddressKind; address: string }
  | { ok: false; refused?: undefined; code: string };

/**
 * Resolves a host once and judges every address it has: one refused address refuses the host (a
 * name that answers both a camera and 127.0.0.1 is a rebinding attempt, not a camera). The caller
 * connects only to the addresses returned, never to the name.
 */
export async function checkTarget(
  host: string,
  port: number,
  policy: SourceAddressPolicy,
  resolve: SourceResolver,
  timeoutMs: number,
): Promise<TargetCheck> {
  const bare = host.replace(/^\[|\]$/g, '');
  let addresses: ResolvedAddress[];
  let timer: NodeJS.Timeout | undefined;
  try {
    addresses = await Promise.race([
      resolve(bare),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(Object.assign(new Error('lookup timed out'), { code: 'ETIMEOUT' })),
          timeoutMs,
        );
      }),
    ]);
  } catch (error) {
    return { ok: false, code: (error as NodeJS.ErrnoException).code ?? 'ENOTFOUND' };
  } finally {
    clearTimeout(timer);
  }
  if (addresses.length === 0) return { ok: false, code: 'ENOTFOUND' };
  for (const { address } of addresses) {
    const refused = policy.refused(address, port);
    if (refused) return { ok: false, refused, address };
  }
  return { ok: true, addresses };
}
