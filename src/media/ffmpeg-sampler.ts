import { ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { StreamKind } from '../generated/prisma/enums';
import { assertMaxWidth, DEFAULT_MAX_WIDTH, scaleFilter } from './frame-geometry';
import { JpegFrameSplitter, readJpegSize } from './jpeg-frame-splitter';
import {
  classifyExit,
  DAMAGE_LINE,
  httpStatusOf,
  proxyError,
  redactCredentials,
  SamplerError,
  tenantMessageFor,
  TRUNCATION_LINE,
} from './sampler-errors';
import { SourceAddressPolicy, sourceAddressPolicy, sourceTarget } from './source-address-policy';
import { RtspRelay, startRtspRelay } from './rtsp-relay';
import { SourceEgress } from './source-egress';
import { SourceProxy, splitCredentials, startSourceProxy } from './source-proxy';
import { SECRET_PARAM_NAME } from './source-url';

/**
 * The sampler: one ffmpeg child process that turns a stream source into JPEG frames.
 *
 *   const sampler = startSampler({ ffmpegPath, source: { url, kind: 'RTSP' }, fps: 2 });
 *   for await (const frame of sampler) { ... }   // breaking out of the loop stops ffmpeg
 *   const outcome = await sampler.outcome;        // ended | stopped | failed (never rejects)
 *
 * Safety. ffmpeg is spawned without a shell, from an argument array. The tenant's URL is only ever
 * the value of `-i`, behind a protocol whitelist chosen by the declared kind (so an HLS playlist
 * cannot make ffmpeg read `file:` or `udp:` and a file cannot open the network); a URL whose scheme
 * does not match its kind is refused here, before anything runs. Every connection goes where the
 * source address policy (source-address-policy.ts) allows, judged on the address connected to:
 * - HTTP and HLS: the host is resolved and checked first (a refused source never starts ffmpeg);
 *   then all of ffmpeg's HTTP(S), redirects, playlists, segments and keys included, goes through a
 *   proxy of this run's own (source-proxy.ts) that resolves, checks and connects for it.
 * - RTSP: the host is resolved once and checked, and ffmpeg connects to a relay of this run's own
 *   (rtsp-relay.ts) that connects to a checked address only and refuses redirects, which ffmpeg
 *   would otherwise follow to any host.
 * Errors keep their detail for the operator's log; what a tenant sees is tenantMessageFor's.
 *
 * Frames. ffmpeg runs `fps` (the sampling rate), `scale` (frame-geometry.ts, evaluated per input
 * size, so no separate probe and a camera that changes resolution is handled), and `showinfo`, and
 * writes MJPEG to stdout, split into images by jpeg-frame-splitter.ts. Each image is paired, in
 * order, with the showinfo line ffmpeg printed for it on stderr, which gives its presentation time.
 * That was chosen over computing n/fps because the times are then ffmpeg's own rather than an
 * assumption about what the fps filter did: the first frame's offset, and any timestamp jump ffmpeg
 * passes on (a discontinuity it did not smooth), come out right. The cost is one regular expression
 * per frame and, at times, a short wait for the line; mjpeg encodes one picture per filtered frame
 * with no delay, so the two sequences pair one to one. (Decode errors are not attributed to single
 * frames: ffmpeg probes seconds ahead before the first frame, so stderr's order says little there.)
 *
 * Capture times. A finite source (a file, a progressive download or a VOD playlist: ffmpeg reports
 * a duration) has its own clock: `sourceStartTime` plus the frame's presentation time. A live source
 * (RTSP always; HTTP and HLS without a duration) gets the wall clock when the frame arrived.
 *
 * Back-pressure. Frames wait in a queue of at most about `highWaterMark`; when it is full, stdout is
 * paused, ffmpeg blocks on its pipe, and the silence timer is suspended (a slow consumer is not a
 * silent source). A live source that is held up long enough will drop packets or its connection:
 * consumers of live sources must keep up.
 *
 * Ending. `stop()` sends SIGTERM, then SIGKILL after `stopGraceMs`, and resolves once the process
 * has exited (Node reaps it: no zombie). The silence timer kills ffmpeg the same way. Every ffmpeg
 * still running when this Node process exits is SIGKILLed; if this process is killed outright,
 * ffmpeg dies on its next write to the closed pipe or at its own network timeout. Nothing here
 * throws after `startSampler` returns: every failure ends up in `outcome`.
 */

export const MIN_FPS = 0.2;
export const MAX_FPS = 5;

export interface SamplerSource {
  /** The stream's URL, already accepted by checkSourceUrl. */
  url: string;
  kind: StreamKind;
}

export interface SamplerOptions {
  /** ffmpeg to run: the caller reads FFMPEG_PATH or finds it on PATH. */
  ffmpegPath: string;
  source: SamplerSource;
  /** Frames per second, 0.2 to 5. */
  fps: number;
  /** Longest side of a frame, in pixels (default 448); both sides become multiples of 32. */
  maxWidth?: number;
  /** Sequence number of the first frame (default 0), so a restarted sampler continues the count. */
  startSequence?: number;
  /** Finite sources: the time the source's presentation time 0 stands for (default: now). */
  sourceStartTime?: Date;
  /**
   * Finite sources: start this many seconds into the source (ffmpeg's input `-ss`, decoded
   * exactly to that point), default 0. Frames keep the source's own times: the first one's
   * position is this offset, its capture time `sourceStartTime` plus the offset, and progress
   * counts from there. A worker that takes a file over starts it where the last one stopped.
   */
  startOffsetSeconds?: number;
  /**
   * Kill ffmpeg when no frame came for this long (default 10 s). Raised to 2.5 frame intervals at
   * low rates, so that a 0.2 fps sampler is not killed between two frames.
   */
  silenceTimeoutMs?: number;
  /** The same limit for the first frame, which also waits for connecting and probing (default: the larger of silenceTimeoutMs and 15 s). */
  startTimeoutMs?: number;
  /** ffmpeg's own socket timeout for network sources (default 10 s). */
  networkTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL when stopping (default 2 s). */
  stopGraceMs?: number;
  /** ffmpeg's JPEG quality scale, 2 (best) to 31 (default 3). */
  jpegQuality?: number;
  /**
   * RTSP transport (default tcp: interleaved RTP on the RTSP connection passes NAT and firewalls
   * and loses nothing; UDP loss shows up as smeared frames).
   */
  rtspTransport?: 'tcp' | 'udp';
  /** Read a finite source at its own pace (ffmpeg `-re`) instead of as fast as possible (default false). */
  readAtNativeRate?: boolean;
  /**
   * Skip decoding non-reference frames (`-skip_frame noref`), about a third less CPU on streams
   * with B-frames; sampled instants may move by a source frame (default false).
   */
  skipNonReferenceFrames?: boolean;
  /** Frames queued before ffmpeg's output is paused (default 4). */
  highWaterMark?: number;
  /** Accept a network source that resolves to loopback (development with local sources; default false). */
  allowLoopback?: boolean;
  /**
   * Where the source's connections may go (default: the stream source rules, with loopback as
   * allowLoopback says). Tests replace it to call one loopback server public and another internal.
   */
  addressPolicy?: SourceAddressPolicy;
  /**
   * Largest picture ffmpeg decodes, in pixels (default 8K, 7680 x 4320): a small file that claims
   * a huge picture (a decompression bomb) is refused before its pixels are allocated.
   */
  maxPixels?: number;
  /**
   * Most memory (address space) ffmpeg may map, in bytes (default 1 GiB; 0: no limit), set with
   * util-linux's prlimit before ffmpeg starts. Past it an allocation fails and the run ends as
   * 'too-large' instead of the worker's machine running out of memory.
   */
  memoryLimitBytes?: number;
}

export interface SampledFrame {
  /** startSequence, startSequence + 1, ... in this run. */
  sequence: number;
  capturedAt: Date;
  jpeg: Buffer;
  width: number;
  height: number;
  /** Presentation time in the stream, seconds (ffmpeg's, starting near startOffsetSeconds); null if ffmpeg had none. */
  ptsSeconds: number | null;
  /** Finite sources: the frame's position in the source, seconds (what startOffsetSeconds resumes from). */
  sourceOffsetSeconds?: number;
  /** Finite sources: percent of the duration covered once this frame's interval is processed. */
  progressPercent?: number;
}

export type SamplerOutcome =
  | { kind: 'ended'; frames: number }
  | { kind: 'stopped'; frames: number }
  | { kind: 'failed'; error: SamplerError; frames: number };

export interface Sampler extends AsyncIterableIterator<SampledFrame> {
  /** Settles when ffmpeg is gone; never rejects. */
  readonly outcome: Promise<SamplerOutcome>;
  /** ffmpeg's process id once started (kept after it exits, so a caller can check it is gone). */
  readonly pid: number | undefined;
  /** The source's duration in seconds, once ffmpeg reported it (finite sources). */
  readonly durationSeconds: number | undefined;
  /** Finite sources: percent of the duration processed so far (100 once ended). */
  readonly progressPercent: number | undefined;
  /** Frames produced so far in this run (queued or consumed). */
  readonly frameCount: number;
  /** Ends ffmpeg and drops frames not yet consumed; resolves with the outcome once the process is gone. */
  stop(): Promise<SamplerOutcome>;
}

/** Protocols ffmpeg may open for each kind of source, nested opens (playlist segments) included. */
export const PROTOCOL_WHITELIST: Readonly<Record<StreamKind, string>> = {
  FILE: 'file',
  // httpproxy: https goes to the sampler's proxy as CONNECT through it.
  HTTP: 'http,https,tcp,tls,httpproxy',
  // crypto: segments encrypted with AES-128 (#EXT-X-KEY) are read through it.
  HLS: 'http,https,tcp,tls,httpproxy,crypto',
  RTSP: 'rtsp,rtsps,rtp,udp,tcp,tls',
};

const SCHEMES: Readonly<Record<StreamKind, readonly string[]>> = {
  FILE: ['file:'],
  HTTP: ['http:', 'https:'],
  HLS: ['http:', 'https:'],
  RTSP: ['rtsp:', 'rtsps:'],
};

const MAX_URL_LENGTH = 2048;
const STDERR_TAIL_LINES = 40;
const MAX_STDERR_LINE = 1000;

/** SamplerOptions with defaults applied and the URL checked: what buildFfmpegArgs needs. */
export interface ResolvedSamplerOptions {
  ffmpegPath: string;
  source: SamplerSource;
  /** What follows `-i`. */
  input: string;
  fps: number;
  maxWidth: number;
  startSequence: number;
  sourceStartMs: number;
  startOffsetSeconds: number;
  silenceTimeoutMs: number;
  startTimeoutMs: number;
  networkTimeoutMs: number;
  stopGraceMs: number;
  jpegQuality: number;
  rtspTransport: 'tcp' | 'udp';
  readAtNativeRate: boolean;
  skipNonReferenceFrames: boolean;
  highWaterMark: number;
  addressPolicy: SourceAddressPolicy;
  /** The sampler's proxy for HTTP and HLS, once it runs (`http://127.0.0.1:<port>`). */
  httpProxy?: string;
  maxPixels: number;
  memoryLimitBytes: number;
}

/** 8K UHD: larger pictures than any camera Vigil samples sends. */
export const DEFAULT_MAX_PIXELS = 7680 * 4320;
export const DEFAULT_MEMORY_LIMIT_BYTES = 1024 * 1024 * 1024;

/** Starts sampling. Throws (SamplerError 'invalid-source', or RangeError) only for arguments that can never work. */
export function startSampler(options: SamplerOptions): Sampler {
  return new FfmpegSampler(resolveOptions(options));
}

export function resolveOptions(options: SamplerOptions): ResolvedSamplerOptions {
  const { source } = options;
  if (!options.ffmpegPath) throw new RangeError('ffmpegPath is required');
  if (!(options.fps >= MIN_FPS && options.fps <= MAX_FPS)) {
    throw new RangeError(`fps must be from ${MIN_FPS} to ${MAX_FPS}`);
  }
  const maxWidth = options.maxWidth ?? DEFAULT_MAX_WIDTH;
  assertMaxWidth(maxWidth);
  const jpegQuality = options.jpegQuality ?? 3;
  if (!Number.isInteger(jpegQuality) || jpegQuality < 2 || jpegQuality > 31) {
    throw new RangeError('jpegQuality must be an integer from 2 to 31');
  }
  const startSequence = options.startSequence ?? 0;
  if (!Number.isSafeInteger(startSequence) || startSequence < 0) {
    throw new RangeError('startSequence must be a non-negative integer');
  }
  const startOffsetSeconds = options.startOffsetSeconds ?? 0;
  if (!(startOffsetSeconds >= 0 && Number.isFinite(startOffsetSeconds))) {
    throw new RangeError('startOffsetSeconds must be a non-negative number');
  }
  if (startOffsetSeconds > 0 && source.kind === 'RTSP') {
    throw new RangeError('a live source cannot start at an offset');
  }
  // Three decimals: ffmpeg reads the rate as a rational, and 0.30000000000000004 helps nobody.
  const fps = Number(options.fps.toFixed(3));
  const frameIntervalMs = 1000 / fps;
  const silenceTimeoutMs = Math.max(positive(options.silenceTimeoutMs, 10_000), 2.5 * frameIntervalMs);
  return {
    ffmpegPath: options.ffmpegPath,
    source,
    input: ffmpegInput(source),
    fps,
    maxWidth,
    startSequence,
    sourceStartMs: (options.sourceStartTime ?? new Date()).getTime(),
    // Milliseconds: what ffmpeg is given is exactly what is added to its times.
    startOffsetSeconds: Number(startOffsetSeconds.toFixed(3)),
    silenceTimeoutMs,
    startTimeoutMs: Math.max(
      positive(options.startTimeoutMs, Math.max(silenceTimeoutMs, 15_000)),
      2.5 * frameIntervalMs,
    ),
    networkTimeoutMs: positive(options.networkTimeoutMs, 10_000),
    stopGraceMs: positive(options.stopGraceMs, 2_000),
    jpegQuality,
    rtspTransport: options.rtspTransport ?? 'tcp',
    readAtNativeRate: options.readAtNativeRate ?? false,
    skipNonReferenceFrames: options.skipNonReferenceFrames ?? false,
    highWaterMark: Math.max(1, Math.floor(options.highWaterMark ?? 4)),
    addressPolicy: options.addressPolicy ?? sourceAddressPolicy(options.allowLoopback ?? false),
    maxPixels: wholeAtLeast(options.maxPixels ?? DEFAULT_MAX_PIXELS, 64 * 64, 'maxPixels'),
    memoryLimitBytes: wholeAtLeast(
      options.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES,
      0,
      'memoryLimitBytes',
    ),
  };
}

function wholeAtLeast(value: number, minimum: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < minimum)
    throw new RangeError(`${name} must be an integer of at least ${minimum}`);
  return value;
}

function positive(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(value > 0) || !Number.isFinite(value)) throw new RangeError('timeouts must be positive numbers');
  return value;
}

/**
 * The value of `-i`: the URL itself for network kinds (after checking its scheme against the
 * kind), and `file:` plus the decoded absolute path for files, since ffmpeg's file protocol does
 * not percent-decode and the `file:` prefix keeps a path containing ':' from naming a protocol.
 */
function ffmpegInput(source: SamplerSource): string {
  const invalid = (why: string) => new SamplerError('invalid-source', `the source URL ${why}`);
  const raw = source.url;
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_URL_LENGTH) {
    throw invalid(`must be 1 to ${MAX_URL_LENGTH} characters`);
  }
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
  if (/[\s\u0000-\u001f\u007f]/.test(raw)) throw invalid('must not contain spaces or control characters');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('is not a valid URL');
  }
  const schemes = SCHEMES[source.kind];
  if (!schemes) throw invalid('has an unknown kind');
  if (!schemes.includes(url.protocol)) {
    throw invalid(`scheme ${url.protocol} does not match its kind ${source.kind}`);
  }
  if (source.kind !== 'FILE') {
    if (!url.hostname) throw invalid('must name a host');
    // Normalised: ffmpeg matches protocol names case-sensitively ("HTTP://" would not open).
    return url.href;
  }
  try {
    return `file:${fileURLToPath(url)}`;
  } catch {
    throw invalid('is not a local file path');
  }
}

/**
 * The command line that runs `command` with its address space limited to `bytes` (0: as it is):
 * prlimit sets the limit and then becomes the command, so the pid is ffmpeg's own.
 */
export function limitedCommand(bytes: number, command: string[]): string[] {
  return bytes > 0 ? ['prlimit', `--as=${bytes}`, '--', ...command] : command;
}

/** ffmpeg's arguments for a sampler run. Exported for tests and for the record in logs. */
export function buildFfmpegArgs(o: ResolvedSamplerOptions): string[] {
  const us = String(Math.round(o.networkTimeoutMs * 1000));
  // ffmpeg also reads http_proxy from its environment, which is set too: nested opens that do not
  // inherit the input's options still find the proxy.
  const proxy = o.httpProxy ? ['-http_proxy', o.httpProxy] : [];
  const inputOptions: Record<StreamKind, string[]> = {
    FILE: [],
    HTTP: [...proxy, '-rw_timeout', us],
    // Forced, so an http URL is always read as a playlist and never probed as something else.
    HLS: [...proxy, '-rw_timeout', us, '-f', 'hls'],
    RTSP: ['-rtsp_transport', o.rtspTransport, '-timeout', us, '-allowed_media_types', 'video'],
  };
  const finiteKind = o.source.kind === 'FILE' || o.source.kind === 'HTTP' || o.source.kind === 'HLS';
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'info', // showinfo's lines and the input's Duration are info-level
    // One thread per stream: a worker runs many samplers, and frame threads add latency and memory.
    '-threads',
    '1',
    '-filter_threads',
    '1',
    ...(o.skipNonReferenceFrames ? ['-skip_frame', 'noref'] : []),
    // The decoder refuses pictures over this size before allocating them.
    '-max_pixels',
    String(o.maxPixels),
    '-protocol_whitelist',
    PROTOCOL_WHITELIST[o.source.kind],
    ...inputOptions[o.source.kind],
    ...(o.readAtNativeRate && finiteKind ? ['-re'] : []),
    // Timestamps after an input seek start again at 0: emit() adds the offset back.
    ...(o.startOffsetSeconds > 0 && finiteKind ? ['-ss', o.startOffsetSeconds.toFixed(3)] : []),
    '-i',
    o.input,
    // The first video stream only: no audio decoding, and "no video" fails loudly.
    '-map',
    '0:v:0',
    '-vf',
    // format=yuvj420p: full-range YUV, what JPEG stores; converting here rather than in the
    // encoder means showinfo describes exactly the picture that is encoded.
    `fps=${o.fps},${scaleFilter(o.maxWidth)},format=yuvj420p,showinfo`,
    // Each filtered frame is written exactly once: no duplicates or drops by ffmpeg's own frame-rate
    // logic, which would break the one-to-one pairing with showinfo lines.
    '-fps_mode',
    'passthrough',
    '-c:v',
    'mjpeg',
    '-q:v',
    String(o.jpegQuality),
    '-f',
    'image2pipe',
    'pipe:1',
  ];
}

/**
 * A showinfo frame line. Anchored at the start of the line: ffmpeg indents continuation lines of
 * metadata it prints, so a stream's title cannot forge one.
 */
const SHOWINFO_FRAME = /^\[Parsed_showinfo_\d+ @ 0x[0-9a-f]+\] n:\s*\d+ pts:\s*(\S+)\s+pts_time:(\S+)/;
const SHOWINFO_ANY = /^\[Parsed_showinfo_\d+ @ /;
const DURATION_LINE = /^ {2}Duration: (?:(\d+):(\d{2}):(\d{2}(?:\.\d+)?)|N\/A)/;

export interface ShowinfoFrame {
  ptsSeconds: number | null;
}

/** The presentation time from a showinfo frame line, or undefined if the line is not one. */
export function parseShowinfoLine(line: string): ShowinfoFrame | undefined {
  const match = SHOWINFO_FRAME.exec(line);
  if (!match) return undefined;
  const seconds = Number(match[2]);
  return { ptsSeconds: match[1] === 'NOPTS' || !Number.isFinite(seconds) ? null : seconds };
}

/** The input duration in seconds from ffmpeg's `  Duration:` line: null for N/A, undefined if not that line. */
export function parseDurationLine(line: string): number | null | undefined {
  const match = DURATION_LINE.exec(line);
  if (!match) return undefined;
  if (match[1] === undefined) return null;
  const seconds = Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]);
  return seconds > 0 ? seconds : null;
}

interface PendingJpeg {
  jpeg: Buffer;
  arrivedAt: number;
}

interface PendingInfo {
  ptsSeconds: number | null;
}

// Every ffmpeg this process started and that still runs, killed if this process exits first.
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const c of running) safeKill(c, 'SIGKILL');
    });
  }
  running.add(child);
}

function safeKill(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  } catch {
    // Already gone.
  }
}

class FfmpegSampler implements Sampler {
  readonly outcome: Promise<SamplerOutcome>;
  private settle!: (outcome: SamplerOutcome) => void;
  private child: ChildProcess | undefined;
  private readonly splitter = new JpegFrameSplitter();
  private readonly queue: SampledFrame[] = [];
  /** Pending next() calls, oldest first (a consumer may call next() again before the last one settled). */
  private readonly waiters: Array<(result: IteratorResult<SampledFrame>) => void> = [];
  private readonly pendingJpegs: PendingJpeg[] = [];
  private readonly pendingInfos: PendingInfo[] = [];
  private readonly stderrTail: string[] = [];
  private stderrPartial = '';
  private sawDamage = false;
  private sawTruncation = false;
  private duration: number | null | undefined;
  private produced = 0;
  private lastPts: number | null = null;
  private progress: number | undefined;
  private failure: SamplerError | undefined;
  private stopRequested = false;
  private finished = false;
  private paused = false;
  private silenceTimer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  /** The connections made for ffmpeg (network kinds), through `proxy` (HTTP, HLS) or `relay` (RTSP). */
  private egress: SourceEgress | undefined;
  private proxy: SourceProxy | undefined;
  private relay: RtspRelay | undefined;

  constructor(private readonly options: ResolvedSamplerOptions) {
    this.outcome = new Promise((resolve) => (this.settle = resolve));
    this.run().catch((error: unknown) => {
      // A bug here must not become an unhandled rejection; report it as the run's failure.
      this.failure ??= new SamplerError('unknown', `sampler error: ${String(error)}`);
      if (this.child) this.terminate();
      else this.finish(null, null);
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get durationSeconds(): number | undefined {
    return this.duration ?? undefined;
  }

  get progressPercent(): number | undefined {
    return this.progress;
  }

  get frameCount(): number {
    return this.produced;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<SampledFrame> {
    return this;
  }

  next(): Promise<IteratorResult<SampledFrame>> {
    const frame = this.queue.shift();
    if (frame) {
      this.resumeIfRoom();
      return Promise.resolve({ value: frame, done: false });
    }
    if (this.finished || this.stopRequested) return Promise.resolve({ value: undefined, done: true });
    this.resumeIfRoom();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Leaving a `for await` loop early stops ffmpeg. */
  async return(): Promise<IteratorResult<SampledFrame>> {
    await this.stop();
    return { value: undefined, done: true };
  }

  stop(): Promise<SamplerOutcome> {
    if (!this.finished && !this.stopRequested) {
      this.stopRequested = true;
      this.queue.length = 0;
      this.pendingJpegs.length = 0;
      this.wake();
      if (this.child) this.terminate();
      // Without a child yet, run() sees stopRequested after its address check and settles.
    }
    return this.outcome;
  }

  private async run(): Promise<void> {
    let args = this.options;
    if (args.source.kind !== 'FILE') {
      const prepared = await this.prepareNetworkSource();
      if (prepared instanceof SamplerError) this.failure = prepared;
      else args = { ...args, ...prepared };
    }
    if (this.failure || this.stopRequested) {
      this.finish(null, null);
      return;
    }
    const [command, ...commandArgs] = limitedCommand(args.memoryLimitBytes, [
      args.ffmpegPath,
      ...buildFfmpegArgs(args),
    ]);
    const child = spawn(command!, commandArgs, {
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
      env: childEnvironment(args.httpProxy),
    });
    this.child = child;
    child.on('error', (error: NodeJS.ErrnoException) => {
      // Failing to spawn (ENOENT, EACCES); 'close' follows and settles the outcome.
      if (child.pid === undefined) {
        this.failure ??= new SamplerError(
          'ffmpeg-unavailable',
          `cannot run ${command === 'prlimit' ? 'ffmpeg through prlimit (util-linux)' : 'ffmpeg'}: ${error.code ?? error.message}`,
        );
      }
    });
    child.on('close', (code, signal) => this.finish(code, signal));
    if (child.pid === undefined) return;
    track(child);
    child.stdout!.on('data', (chunk: Buffer) => this.onStdout(chunk));
    child.stdout!.on('error', () => undefined);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => this.onStderr(text));
    child.stderr!.on('error', () => undefined);
    this.armSilenceTimer();
  }

  /**
   * Checks where a network source points before ffmpeg runs (a refused source never starts it),
   * and returns what ffmpeg is given instead of the bare URL: for RTSP the URL of this run's relay,
   * for HTTP and HLS this run's proxy.
   */
  private async prepareNetworkSource(): Promise<
    Pick<ResolvedSamplerOptions, 'input' | 'httpProxy'> | SamplerError
  > {
    const { options } = this;
    const url = new URL(options.source.url);
    const { host, port } = sourceTarget(url);
    const egress = new SourceEgress(options.addressPolicy, options.networkTimeoutMs);
    this.egress = egress;
    const checked = await egress.check(host, port);
    if (!Array.isArray(checked) && checked.outcome === 'refused') {
      return new SamplerError(
        'invalid-source',
        `the source ${host}:${port} resolves to ${checked.address}, a ${checked.refused} address`,
      );
    }
    if (options.source.kind === 'RTSP') {
      if (!Array.isArray(checked)) {
        return new SamplerError(
          'connection-refused',
          `the source ${host} does not resolve (${checked.code})`,
        );
      }
      this.relay = await startRtspRelay(
        { host, port, addresses: checked, tls: url.protocol === 'rtsps:' },
        egress,
      );
      if (this.stopRequested || this.finished) this.relay.close();
      return { input: this.relay.urlFor(url) };
    }
    // HTTP and HLS: the proxy checks this first connection again, and every one after it. A plain
    // http source's credentials go to the proxy, not onto ffmpeg's command line.
    const credentials = splitCredentials(options.source.url, (name) => SECRET_PARAM_NAME.test(name));
    this.proxy = await startSourceProxy(egress, credentials);
    if (this.stopRequested || this.finished) this.proxy.close();
    return { input: credentials ? credentials.bare.toString() : options.input, httpProxy: this.proxy.url };
  }

  /**
   * The run's error as the proxy or relay explains it (a refused connection is the cause, whatever
   * ffmpeg made of the 403), with the message a tenant may see. A run that was refused a connection and
   * produced nothing failed, even if ffmpeg exited cleanly.
   */
  private explain(error: SamplerError | null): SamplerError | null {
    const { source } = this.options;
    const report = this.egress?.report();
    let explained = error;
    if (report && (error || this.produced === 0)) {
      const fromProxy = proxyError(report, error?.stderrTail ?? [...this.stderrTail]);
      // ffmpeg's words for a proxied failure ("HTTP error 502", and for a playlist then "Invalid
      // data") say less than the proxy or relay knows; a refusal is the cause whatever ffmpeg
      // made of it.
      const vague = !error || error.kind === 'unknown' || (error.kind === 'not-video' && this.produced === 0);
      // The relay answers a refused redirect with 403 itself: the redirect is the cause too.
      const decisive = fromProxy?.kind === 'invalid-source' || report.lastFailure?.outcome === 'redirected';
      if (fromProxy && (decisive || vague)) {
        explained = fromProxy;
      }
    }
    if (!explained) return null;
    const proxyAnswered = report && !report.firstRefusal && !report.lastFailure;
    const onlyPublic = report?.onlyPublic ?? true;
    const httpStatus =
      report?.lastErrorStatus ?? (proxyAnswered ? httpStatusOf(explained.stderrTail) : undefined);
    const tenantMessage = tenantMessageFor(explained, { sourceKind: source.kind, onlyPublic, httpStatus });
    return new SamplerError(explained.kind, explained.message, explained.stderrTail, tenantMessage);
  }

  private onStdout(chunk: Buffer): void {
    if (this.stopRequested) return; // draining so ffmpeg can exit; nobody wants these frames
    const jpegs = this.splitter.push(chunk);
    if (jpegs.length === 0) return;
    const arrivedAt = Date.now();
    for (const jpeg of jpegs) this.pendingJpegs.push({ jpeg, arrivedAt });
    this.pair();
    if (!this.failure) this.armSilenceTimer();
    if (this.queue.length >= this.options.highWaterMark && !this.paused && this.child?.stdout) {
      // Back-pressure: ffmpeg blocks on its full pipe; its silence is ours, not the source's.
      this.paused = true;
      this.child.stdout.pause();
      this.clearSilenceTimer();
    }
  }

  private onStderr(text: string): void {
    const lines = (this.stderrPartial + text).split(/\r\n|\r|\n/);
    this.stderrPartial = lines.pop() ?? '';
    if (this.stderrPartial.length > 64 * 1024)
      this.stderrPartial = this.stderrPartial.slice(0, MAX_STDERR_LINE);
    for (const line of lines) this.onStderrLine(line);
  }

  private onStderrLine(line: string): void {
    const info = parseShowinfoLine(line);
    if (info) {
      this.pendingInfos.push(info);
      this.pair();
      return;
    }
    if (line.length === 0 || SHOWINFO_ANY.test(line)) return;
    if (this.duration === undefined) {
      const duration = parseDurationLine(line);
      if (duration !== undefined) this.duration = duration;
    }
    // Indented lines are the stream dump (codecs, the source's own metadata): noise in an error
    // report, and text the source controls, so they neither classify nor enter the tail.
    if (/^\s/.test(line)) return;
    if (TRUNCATION_LINE.test(line)) this.sawTruncation = true;
    if (DAMAGE_LINE.test(line) || TRUNCATION_LINE.test(line)) this.sawDamage = true;
    this.stderrTail.push(redactCredentials(line.slice(0, MAX_STDERR_LINE), this.options.source.url));
    if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
  }

  /** Pairs images with showinfo lines, both in ffmpeg's order, into frames. */
  private pair(): void {
    while (this.pendingJpegs.length > 0 && this.pendingInfos.length > 0) {
      const jpeg = this.pendingJpegs.shift()!;
      const info = this.pendingInfos.shift()!;
      this.emit(jpeg, info);
    }
  }

  private get finite(): boolean {
    return this.options.source.kind === 'FILE' || (this.options.source.kind !== 'RTSP' && !!this.duration);
  }

  private emit(pending: PendingJpeg, info: PendingInfo): void {
    const { options } = this;
    if (this.stopRequested) return;
    const size = readJpegSize(pending.jpeg);
    if (!size) return; // not a JPEG ffmpeg would write; the splitter's structure check makes this unreachable
    const offset = options.startOffsetSeconds;
    const reported = info.ptsSeconds === null ? null : info.ptsSeconds + offset;
    let pts = reported;
    if (pts === null && this.lastPts !== null) pts = this.lastPts + 1 / options.fps;
    if (pts !== null) this.lastPts = pts;
    const finite = this.finite;
    const frame: SampledFrame = {
      sequence: options.startSequence + this.produced,
      capturedAt: new Date(finite && pts !== null ? options.sourceStartMs + pts * 1000 : pending.arrivedAt),
      jpeg: pending.jpeg,
      width: size.width,
      height: size.height,
      ptsSeconds: reported,
      ...(finite && pts !== null ? { sourceOffsetSeconds: pts } : {}),
    };
    this.produced += 1;
    if (finite && this.duration && pts !== null) {
      // A frame stands for the interval [pts, pts + 1/fps): after the last one, the whole file.
      const percent = Math.min(100, Math.max(0, ((pts + 1 / options.fps) / this.duration) * 100));
      this.progress = Math.round(percent * 10) / 10;
      frame.progressPercent = this.progress;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter({ value: frame, done: false });
    else this.queue.push(frame);
  }

  private resumeIfRoom(): void {
    if (this.paused && this.queue.length < this.options.highWaterMark && this.child?.stdout) {
      this.paused = false;
      this.child.stdout.resume();
      if (!this.finished && !this.stopRequested && !this.failure) this.armSilenceTimer();
    }
  }

  /** Ends every pending next() once nothing more will come. */
  private wake(): void {
    if (this.queue.length > 0) return;
    for (const waiter of this.waiters.splice(0)) waiter({ value: undefined, done: true });
  }

  private armSilenceTimer(): void {
    this.clearSilenceTimer();
    const ms = this.produced === 0 ? this.options.startTimeoutMs : this.options.silenceTimeoutMs;
    this.silenceTimer = setTimeout(() => {
      this.failure ??= new SamplerError(
        'timeout',
        `no frame from the source for ${Math.round(ms / 1000)} s`,
        [...this.stderrTail],
      );
      this.terminate();
    }, ms);
    this.silenceTimer.unref();
  }

  private clearSilenceTimer(): void {
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.silenceTimer = undefined;
  }

  /** SIGTERM now, SIGKILL after the grace period; stdout is drained so a blocked ffmpeg can exit. */
  private terminate(): void {
    this.clearSilenceTimer();
    const child = this.child;
    if (!child || this.finished) return;
    if (child.stdout) {
      this.paused = false;
      child.stdout.resume();
    }
    safeKill(child, 'SIGTERM');
    if (!this.killTimer) {
      this.killTimer = setTimeout(() => safeKill(child, 'SIGKILL'), this.options.stopGraceMs);
      this.killTimer.unref();
    }
  }

  private finish(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.finished) return;
    if (this.stderrPartial) {
      this.onStderrLine(this.stderrPartial);
      this.stderrPartial = '';
    }
    // Images whose showinfo line never came (ffmpeg killed between the two writes): keep them.
    while (this.pendingJpegs.length > 0 && !this.stopRequested) {
      this.emit(this.pendingJpegs.shift()!, { ptsSeconds: null });
    }
    this.finished = true;
    this.clearSilenceTimer();
    if (this.killTimer) clearTimeout(this.killTimer);
    if (this.child) running.delete(this.child);
    let outcome: SamplerOutcome;
    if (this.failure) {
      outcome = { kind: 'failed', error: this.explain(this.failure)!, frames: this.produced };
    } else if (this.stopRequested) {
      outcome = { kind: 'stopped', frames: this.produced };
    } else {
      const error = this.explain(
        classifyExit({
          code,
          signal,
          stderrTail: [...this.stderrTail],
          frames: this.produced,
          finite: this.finite,
          sawTruncation: this.sawTruncation,
          sawDamage: this.sawDamage,
        }),
      );
      outcome = error
        ? { kind: 'failed', error, frames: this.produced }
        : { kind: 'ended', frames: this.produced };
      if (!error && this.finite && this.duration) this.progress = 100;
    }
    this.proxy?.close();
    this.relay?.close();
    this.wake();
    this.settle(outcome);
  }
}

/**
 * ffmpeg's environment: the worker's, with this run's proxy as http_proxy (ffmpeg's fallback when
 * an open does not carry the option) and no no_proxy that could exempt a host from it.
 */
function childEnvironment(httpProxy: string | undefined): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.no_proxy;
  delete env.NO_PROXY;
  delete env.http_proxy;
  if (httpProxy) env.http_proxy = httpProxy;
  return env;
}
