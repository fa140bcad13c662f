import type { StreamKind } from '../generated/prisma/enums';
import type { EgressConnection, EgressReport } from './source-egress';
import { redactSourceUrl, SECRET_PARAM_NAME } from './source-url';

/**
 * Why a sampler run failed: a code the stream supervisor can act on (retry with backoff), a message
 * with the detail for the operator's log (credentials redacted), and `tenantMessage`, the only text
 * a tenant is shown (tenantMessageFor). A source that simply finished is not a failure: the
 * sampler's outcome is then `ended`.
 */
export type SamplerErrorKind =
  /**
   * The address policy refused a connection (before ffmpeg ran, or any connection ffmpeg made through
   * the sampler's proxy: a redirect, a playlist, a segment, a key), the URL does not match its
   * declared kind, or the source asked for a protocol that is not allowed.
   */
  | 'invalid-source'
  /** Nothing accepted the connection: connection refused, host unreachable, or the name does not resolve. */
  | 'connection-refused'
  /** The server or file system has no such resource: HTTP 404, RTSP 404, missing file. */
  | 'not-found'
  /** The server wants other credentials: HTTP/RTSP 401 or 403. */
  | 'unauthorized'
  /** The data is not a video ffmpeg can read, or it holds no video stream. */
  | 'not-video'
  /** The video is truncated or corrupt (after zero or more good frames). */
  | 'corrupt'
  /** Its pictures are larger, or need more memory, than the sampler allows (a decompression bomb). */
  | 'too-large'
  /** No frame for longer than the silence timeout, or a network read timed out. */
  | 'timeout'
  /** ffmpeg itself could not be started (missing binary, no permission). */
  | 'ffmpeg-unavailable'
  /** Anything else; the message carries ffmpeg's last stderr lines, with credentials redacted. */
  | 'unknown';

/** What a tenant is told about a source that failed: the first two are all most failures say. */
export const SOURCE_UNREACHABLE = 'source unreachable';
export const ADDRESS_NOT_ALLOWED = 'address not allowed';
export const SAMPLER_UNAVAILABLE = 'the sampler is not available on this server';

export class SamplerError extends Error {
  override readonly name = 'SamplerError';

  constructor(
    readonly kind: SamplerErrorKind,
    /** The detail, for the operator's log: it may name hosts, addresses and what answered. */
    message: string,
    /** ffmpeg's last stderr lines (redacted), for logs; empty when ffmpeg did not run. */
    readonly stderrTail: readonly string[] = [],
    /** The text a tenant may see (the stream's lastError); see tenantMessageFor. */
    readonly tenantMessage: string = defaultTenantMessage(kind),
  ) {
    super(message);
  }
}

function defaultTenantMessage(kind: SamplerErrorKind): string {
  if (kind === 'invalid-source') return ADDRESS_NOT_ALLOWED;
  if (kind === 'ffmpeg-unavailable') return SAMPLER_UNAVAILABLE;
  return SOURCE_UNREACHABLE;
}

/** Where a run's connections went, as far as a tenant may learn from its error. */
export interface SourceExposure {
  sourceKind: StreamKind;
  /** Whether every address the run connected to, or tried to, is on the public internet. */
  onlyPublic: boolean;
  /** An HTTP status of 400 or more that a source (never the sampler's proxy) answered. */
  httpStatus?: number;
}

/** Facts about a public source a tenant may see beside "source unreachable". */
const PUBLIC_FACTS: Partial<Record<SamplerErrorKind, string>> = {
  'not-found': 'not found',
  unauthorized: 'credentials refused',
  'not-video': 'not a video',
  corrupt: 'corrupt data',
  'too-large': 'pictures too large',
  timeout: 'timed out',
};

/**
 * The message a tenant sees for a failed run. A network source's errors would otherwise be a port
 * scanner for the networks the workers can reach: "connection refused", "timed out", "404",
 * "not a video" and ffmpeg's own words tell a closed port from a database from an internal web
 * service. So a tenant learns only "address not allowed" (the policy refused a connection) or
 * "source unreachable", plus, when every address involved is public, what the source answered (its
 * HTTP status, or that it is not a video), which anyone on the internet could learn anyway. File
 * sources are the operator's own folder: their fixed messages stay.
 */
export function tenantMessageFor(error: SamplerError, exposure: SourceExposure): string {
  if (error.kind === 'invalid-source') return ADDRESS_NOT_ALLOWED;
  if (error.kind === 'ffmpeg-unavailable') return SAMPLER_UNAVAILABLE;
  if (exposure.sourceKind === 'FILE')
    return error.kind === 'unknown' ? 'the file could not be read' : error.message;
  if (!exposure.onlyPublic) return SOURCE_UNREACHABLE;
  const fact = exposure.httpStatus ? `HTTP ${exposure.httpStatus}` : PUBLIC_FACTS[error.kind];
  return fact ? `${SOURCE_UNREACHABLE} (${fact})` : SOURCE_UNREACHABLE;
}

/** The last HTTP error status ffmpeg reported in its stderr lines (`HTTP error 404 Not Found`). */
export function httpStatusOf(lines: readonly string[]): number | undefined {
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const match = /HTTP error (\d{3})\b/.exec(lines[i]!);
    if (match) return Number(match[1]);
  }
  return undefined;
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EADDRNOTAVAIL',
]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ETIMEOUT']);

/**
 * What the sampler's proxy saw, turned into the run's error when it explains it better than
 * ffmpeg's stderr (which for a proxied request only says "HTTP error 502"). Null when the proxy
 * saw nothing that explains a failure. The message is for the operator's log: it names the host,
 * port and address (never a path, which may carry a token).
 */
export function proxyError(report: EgressReport, tail: readonly string[]): SamplerError | null {
  const refused = report.firstRefusal;
  if (refused) {
    return new SamplerError(
      'invalid-source',
      `a connection to ${where(refused)} was refused: a ${refused.refused} address` +
        (report.refusals > 1 ? ` (${report.refusals} connections refused in this run)` : ''),
      tail,
    );
  }
  const failed = report.lastFailure;
  if (!failed) return null;
  if (failed.outcome === 'redirected') {
    return new SamplerError(
      'unknown',
      `${where(failed)} redirected to ${failed.location}; RTSP redirects are not followed`,
      tail,
    );
  }
  if (failed.outcome === 'unresolved') {
    return new SamplerError('connection-refused', `${where(failed)} does not resolve (${failed.code})`, tail);
  }
  if (TIMEOUT_CODES.has(failed.code ?? '')) {
    return new SamplerError('timeout', `${where(failed)} stopped answering (network timeout)`, tail);
  }
  if (UNREACHABLE_CODES.has(failed.code ?? '')) {
    return new SamplerError(
      'connection-refused',
      `could not connect to ${where(failed)} (${failed.code})`,
      tail,
    );
  }
  return new SamplerError('unknown', `${where(failed)} did not answer with HTTP (${failed.code})`, tail);
}

function where(connection: EgressConnection): string {
  const address =
    connection.address && connection.address !== connection.host ? ` (${connection.address})` : '';
  return `${connection.host}:${connection.port}${address}`;
}

/** What the sampler knows when ffmpeg has exited, for `classifyExit`. */
export interface FfmpegExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Last stderr lines (without showinfo lines and the indented stream dump), already redacted. */
  stderrTail: readonly string[];
  /** Frames ffmpeg delivered in this run. */
  frames: number;
  /** Whether the source announced a duration (a file, a VOD playlist, a progressive download). */
  finite: boolean;
  /** Whether ffmpeg reported truncated input (`partial file`) at any time in this run. */
  sawTruncation: boolean;
  /** Whether ffmpeg reported damaged input (decode errors, corrupt packets) at any time in this run. */
  sawDamage: boolean;
}

interface Pattern {
  kind: SamplerErrorKind;
  test: RegExp;
  message: string;
}

// Order matters: the first pattern that matches any stderr line wins. Specific server answers come
// before the generic "Invalid data" that ffmpeg prints after many of them.
const PATTERNS: readonly Pattern[] = [
  {
    kind: 'invalid-source',
    test: /not on whitelist|not in allowed_extensions|not in allowed_segment_extensions/i,
    message: 'the source asked for a protocol or file type that is not allowed',
  },
  {
    // prlimit could not start ffmpeg (the limit is set, then ffmpeg is executed in its place).
    kind: 'ffmpeg-unavailable',
    test: /^prlimit: failed to execute/i,
    message: 'cannot run ffmpeg',
  },
  {
    kind: 'too-large',
    test: /exceeds specified max pixel count|Cannot allocate memory|get_buffer\(\) failed/i,
    message: 'the source’s pictures are larger, or need more memory, than the sampler allows',
  },
  {
    kind: 'not-found',
    test: /\b404 Not Found\b|HTTP error 404|No such file or directory/i,
    message: 'the source was not found (404)',
  },
  {
    kind: 'unauthorized',
    test: /\b40[13] (Unauthorized|Forbidden)\b|HTTP error 40[13]\b/i,
    message: 'the source refused the credentials (401/403)',
  },
  {
    kind: 'connection-refused',
    test: /Connection refused|No route to host|Network is unreachable|Failed to resolve hostname|Name or service not known|Host is unreachable/i,
    message: 'could not connect to the source',
  },
  {
    kind: 'timeout',
    test: /Connection timed out|Operation timed out|timed out/i,
    message: 'the source stopped answering (network timeout)',
  },
  {
    kind: 'not-video',
    test: /matches no streams|does not contain any stream|moov atom not found|Invalid data found when processing input|could not find codec parameters|Unknown input format|EBML header parsing failed/i,
    message: 'the source is not a video that can be read',
  },
];

/**
 * The outcome of an ffmpeg run the sampler did not stop itself: `null` when it ended normally,
 * else the error. A run that delivered frames and then hit invalid data is corrupt, not "not
 * video". A finite source that exits cleanly but reported truncation or damage is corrupt too, so
 * the supervisor shows it instead of calling the file complete; a live source's occasional
 * decode error (packet loss) is routine and only marks the frames that follow it.
 */
export function classifyExit(exit: FfmpegExit): SamplerError | null {
  const tail = exit.stderrTail;
  if (exit.code === 0 && exit.signal === null) {
    if (exit.sawTruncation || (exit.finite && exit.sawDamage)) {
      return new SamplerError(
        'corrupt',
        `the source's data is truncated or corrupt (after ${exit.frames} good frames)`,
        tail,
      );
    }
    return null;
  }
  for (const pattern of PATTERNS) {
    if (tail.some((line) => pattern.test.test(line))) {
      if (pattern.kind === 'not-video' && exit.frames > 0) {
        return new SamplerError(
          'corrupt',
          `the source's data is truncated or corrupt (after ${exit.frames} good frames)`,
          tail,
        );
      }
      return new SamplerError(pattern.kind, pattern.message, tail);
    }
  }
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const last = tail.slice(-3).join(' | ');
  return new SamplerError('unknown', `ffmpeg ${how}${last ? `: ${last}` : ''}`, tail);
}

/** Lines that say the input ended before its container said it would. */
export const TRUNCATION_LINE = /partial file|truncated|unexpected end of file|End of file reached early/i;

/** Lines that say the decoder saw damaged data, after which a picture may be concealed garbage. */
export const DAMAGE_LINE =
  /Invalid NAL unit|error while decoding|concealing \d+ (DC|AC|MV) errors|corrupt (decoded )?(frame|packet|input)|Packet corrupt|decode_slice_header error|Error splitting the input into NAL units|missing picture in access unit|Invalid data found when processing input/i;

const URL_WITH_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@'"]*@/gi;
/** A query parameter (name=value) in text: its value is masked when the name is a secret's. */
const QUERY_PARAM = /([?&])([^=&\s'"]+)=([^&\s'"#]*)/g;

/**
 * A stderr line or message with the source's credentials removed: the source URL as written and
 * as ffmpeg may print it (normalised, or with its userinfo percent-decoded), any other URL's
 * userinfo (HLS segments, redirects), and secret-looking query values.
 */
export function redactCredentials(text: string, sourceUrl: string): string {
  let out = text;
  for (const [secret, replacement] of secretsOf(sourceUrl)) out = out.split(secret).join(replacement);
  return out
    .replace(URL_WITH_USERINFO, '$1***@')
    .replace(QUERY_PARAM, (whole, separator: string, name: string) =>
      SECRET_PARAM_NAME.test(name) ? `${separator}${name}=***` : whole,
    );
}

/** Each secret spelling of the source URL with what replaces it, longest first (a URL before its password). */
function secretsOf(sourceUrl: string): Array<[string, string]> {
  const secrets = new Map<string, string>();
  try {
    const url = new URL(sourceUrl);
    const redacted = redactSourceUrl(sourceUrl);
    if (redacted !== url.toString()) {
      secrets.set(sourceUrl, redacted);
      secrets.set(url.toString(), redacted);
    }
    for (const part of [url.password, url.username]) {
      // Very short user names ("a") would mangle unrelated text; the URL patterns still catch them.
      if (part.length >= 3) {
        secrets.set(part, '***');
        secrets.set(safeDecode(part), '***');
      }
    }
  } catch {
    // Not a URL: only the generic patterns apply.
  }
  return [...secrets].filter(([s]) => s.length > 0).sort((a, b) => b[0].length - a[0].length);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
