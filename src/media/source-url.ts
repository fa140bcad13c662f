import { BlockList, isIP } from 'node:net';
import path from 'node:path';
import type { StreamKind } from '../generated/prisma/enums';

/**
 * The policy for stream source URLs, checked before anything connects to them.
 * Schemes: rtsp, rtsps, http, https; file only when the operator allows it, and then only inside
 * FILE_SOURCE_ROOT. Link-local addresses (cloud metadata services live there) are always refused.
 * Cameras on private networks are normal for RTSP, so private ranges are allowed; loopback only
 * with file sources allowed (a development setting). The sampler checks the resolved address again
 * when it connects, since a name can resolve differently later.
 */
export interface SourcePolicy {
  allowFileSources: boolean;
  fileSourceRoot: string;
}

export interface CheckedSource {
  url: string;
  kind: StreamKind;
}

export class SourceUrlError extends Error {}

const MAX_URL_LENGTH = 2048;

export function checkSourceUrl(
  raw: string,
  policy: SourcePolicy,
  declaredKind?: StreamKind | null,
): CheckedSource {
  if (raw.length > MAX_URL_LENGTH) throw new SourceUrlError(`must be at most ${MAX_URL_LENGTH} characters`);
  // Control characters and spaces could smuggle options or headers into the sampler.
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
  if (/[\s\u0000-\u001f\u007f]/.test(raw))
    throw new SourceUrlError('must not contain spaces or control characters');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SourceUrlError('is not a valid URL');
  }
  const scheme = url.protocol.replace(/:$/, '');
  const kind = kindOf(url, scheme, policy);
  if (declaredKind && declaredKind !== kind) {
    throw new SourceUrlError(`is a ${kind} source, not ${declaredKind}`);
  }
  if (kind !== 'FILE') checkHost(url, policy);
  return { url: url.toString(), kind };
}

function kindOf(url: URL, scheme: string, policy: SourcePolicy): StreamKind {
  switch (scheme) {
    case 'rtsp':
    case 'rtsps':
      return 'RTSP';
    case 'http':
    case 'https':
      return /\.m3u8$/i.test(url.pathname) ? 'HLS' : 'HTTP';
    case 'file': {
      if (!policy.allowFileSources) throw new SourceUrlError('file sources are disabled on this server');
      if (url.host !== '') throw new SourceUrlError('file URLs must not name a host');
      const root = path.resolve(policy.fileSourceRoot);
      let file: string;
      try {
        file = path.resolve(decodeURIComponent(url.pathname));
      } catch {
        throw new SourceUrlError('is not a valid file path');
      }
      const inside = root.endsWith(path.sep) ? root : root + path.sep;
      if (file !== root && !file.startsWith(inside)) {
        throw new SourceUrlError('file sources must be inside the folder the operator allows');
      }
      return 'FILE';
    }
    default:
      throw new SourceUrlError('scheme must be rtsp, rtsps, http or https');
  }
}

function checkHost(url: URL, policy: SourcePolicy): void {
  const host = canonicalHost(url);
  if (!host) throw new SourceUrlError('must name a host');
  if (LINK_LOCAL.check(host, family(host)) || host === 'metadata.google.internal') {
    throw new SourceUrlError('must not point at a link-local address');
  }
  const loopback =
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    (isIP(host) !== 0 && LOOPBACK.check(host, family(host)));
  if (!policy.allowFileSources && loopback)
    throw new SourceUrlError('must not point at this server (loopback)');
}

/**
 * The host as a resolver would see it. WHATWG URL parsing normalises numeric IPv4 forms
 * (`2852039166`, `0x7f.1`, `127.1`) only for special schemes such as http, so rtsp hosts are
 * re-parsed as http; IPv4-mapped IPv6 (`::ffff:a9fe:101`) is unwrapped to dotted IPv4.
 */
function canonicalHost(url: URL): string {
  let host = url.hostname;
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && host) {
    try {
      host = new URL(`http://${url.host}`).hostname;
    } catch {
      throw new SourceUrlError('has an invalid host');
    }
  }
  host = host
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (mapped) {
    const high = parseInt(mapped[1]!, 16);
    const low = parseInt(mapped[2]!, 16);
    host = [high >> 8, high & 255, low >> 8, low & 255].join('.');
  }
  return host;
}

const family = (host: string): 'ipv4' | 'ipv6' => (isIP(host) === 6 ? 'ipv6' : 'ipv4');

/** Whether an IP address is one a source may never point at: link-local, or loopback. */
export function forbiddenAddressKind(ip: string): 'link-local' | 'loopback' | null {
  const kind = family(ip);
  if (LINK_LOCAL.check(ip, kind)) return 'link-local';
  if (LOOPBACK.check(ip, kind)) return 'loopback';
  return null;
}

const LINK_LOCAL = new BlockList();
LINK_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
LINK_LOCAL.addSubnet('fe80::', 10, 'ipv6');

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('0.0.0.0', 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addAddress('::', 'ipv6');

const SECRET_PARAM = /token|key|secret|sig|pass|auth|credential/i;

/** The URL with any password or secret-looking query value replaced, safe to show in responses and logs. */
export function redactSourceUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    if (url.username && !url.password) url.username = '***';
    for (const name of [...url.searchParams.keys()]) {
      if (SECRET_PARAM.test(name)) url.searchParams.set(name, '***');
    }
    return url.toString();
  } catch {
    return '[invalid url]';
  }
}
