import path from 'node:path';
import type { StreamKind } from '../generated/prisma/enums';
import {
  AddressKind,
  canonicalHost,
  OUTBOUND_RULES,
  OutboundUrlError,
  parseOutboundUrl,
  refusedHost,
} from '../net/outbound-url-policy';

/**
 * The policy for stream source URLs, checked before anything connects to them.
 * Schemes: rtsp, rtsps, http, https; file only when the operator allows it, and then only inside
 * FILE_SOURCE_ROOT. Hosts follow the outbound URL policy (net/outbound-url-policy.ts) with the
 * rules of stream sources: link-local addresses (cloud metadata services live there) are always
 * refused; cameras on private networks are normal for RTSP, so private ranges are allowed; loopback
 * only with file sources allowed (a development setting). The sampler checks the resolved address
 * again when it connects, since a name can resolve differently later.
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

export function checkSourceUrl(
  raw: string,
  policy: SourcePolicy,
  declaredKind?: StreamKind | null,
): CheckedSource {
  const url = parse(raw);
  const scheme = url.protocol.replace(/:$/, '');
  const kind = kindOf(url, scheme, policy);
  if (declaredKind && declaredKind !== kind) {
    throw new SourceUrlError(`is a ${kind} source, not ${declaredKind}`);
  }
  if (kind !== 'FILE') checkHost(url, policy);
  return { url: url.toString(), kind };
}

function parse(raw: string): URL {
  try {
    return parseOutboundUrl(raw);
  } catch (error) {
    if (error instanceof OutboundUrlError) throw new SourceUrlError(error.message);
    throw error;
  }
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

const REFUSED_TEXT: Record<AddressKind, string> = {
  'link-local': 'must not point at a link-local address',
  loopback: 'must not point at this server (loopback)',
  private: 'must not point at a private address',
  reserved: 'must not point at a reserved address (multicast, broadcast, documentation or special-purpose)',
};

function checkHost(url: URL, policy: SourcePolicy): void {
  let host: string;
  try {
    host = canonicalHost(url);
  } catch (error) {
    if (error instanceof OutboundUrlError) throw new SourceUrlError(error.message);
    throw error;
  }
  if (!host) throw new SourceUrlError('must name a host');
  const refused = refusedHost(host, OUTBOUND_RULES.streamSource(policy.allowFileSources));
  if (refused) throw new SourceUrlError(REFUSED_TEXT[refused]);
}

/**
 * Query parameter names that carry a credential in stream URLs: tokens, keys, signatures (signed
 * CDN URLs: Signature, Policy, Key-Pair-Id), passwords in their camera spellings (pwd, passwd, psw,
 * pw, pin, loginpas) and session ids. Matched anywhere in the name, so access_token and X-Amz-
 * Signature are covered; a value is masked rather than a parameter kept, when in doubt.
 */
export const SECRET_PARAM_NAME =
  /token|key|secret|sig|pass|pwd|psw|auth|credential|session|policy|^pw$|^pin$|^sid$|^code$/i;

/** The URL with any password or secret-looking query value replaced, safe to show in responses and logs. */
export function redactSourceUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    if (url.username && !url.password) url.username = '***';
    for (const name of [...url.searchParams.keys()]) {
      if (SECRET_PARAM_NAME.test(name)) url.searchParams.set(name, '***');
    }
    return url.toString();
  } catch {
    return '[invalid url]';
  }
}
