import { isIP } from 'node:net';
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
      const file = path.resolve(decodeURIComponent(url.pathname));
      if (file !== root && !file.startsWith(root + path.sep)) {
        throw new SourceUrlError('file sources must be inside the folder the operator allows');
      }
      return 'FILE';
    }
    default:
      throw new SourceUrlError('scheme must be rtsp, rtsps, http or https');
  }
}

function checkHost(url: URL, policy: SourcePolicy): void {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (!host) throw new SourceUrlError('must name a host');
  if (isLinkLocal(host)) throw new SourceUrlError('must not point at a link-local address');
  if (!policy.allowFileSources && isLoopback(host)) {
    throw new SourceUrlError('must not point at this server (loopback)');
  }
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.') || host === '0.0.0.0';
  if (isIP(host) === 6) return host === '::1' || host === '::' || /^::ffff:127\./.test(host);
  return false;
}

function isLinkLocal(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith('169.254.');
  if (isIP(host) === 6) return /^fe[89ab][0-9a-f]:/.test(host) || /^::ffff:169\.254\./.test(host);
  return host === 'metadata.google.internal';
}

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
