import { redactSourceUrl } from './source-url';

/**
 * Why a sampler run failed, as a code the stream supervisor can act on (retry with backoff, show
 * in the stream's status) and a message safe to show a tenant. A source that simply finished is
 * not a failure: the sampler's outcome is then `ended`.
 */
export type SamplerErrorKind =
  /** Refused before ffmpeg ran: the URL does not match its declared kind, or points somewhere forbidden. */
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
  /** No frame for longer than the silence timeout, or a network read timed out. */
  | 'timeout'
  /** ffmpeg itself could not be started (missing binary, no permission). */
  | 'ffmpeg-unavailable'
  /** Anything else; the message carries ffmpeg's last stderr lines, with credentials redacted. */
  | 'unknown';

export class SamplerError extends Error {
  override readonly name = 'SamplerError';

  constructor(
    readonly kind: SamplerErrorKind,
    message: string,
    /** ffmpeg's last stderr lines (redacted), for logs; empty when ffmpeg did not run. */
    readonly stderrTail: readonly string[] = [],
  ) {
    super(message);
  }
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
const SECRET_QUERY = /([?&][^=&\s'"]*(?:token|key|secret|sig|pass|auth|credential)[^=&\s'"]*=)[^&\s'"#]*/gi;

/**
 * A stderr line or message with the source's credentials removed: the source URL as written and
 * as ffmpeg may print it (normalised, or with its userinfo percent-decoded), any other URL's
 * userinfo (HLS segments, redirects), and secret-looking query values.
 */
export function redactCredentials(text: string, sourceUrl: string): string {
  let out = text;
  for (const [secret, replacement] of secretsOf(sourceUrl)) out = out.split(secret).join(replacement);
  return out.replace(URL_WITH_USERINFO, '$1***@').replace(SECRET_QUERY, '$1***');
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
