import { spawn } from 'node:child_process';
import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Encodes still frames into an H.264 MP4 with one ffmpeg child process (no shell, an argument
 * array, a time limit), each frame held until the next one's capture time and its capture time
 * burnt in at the top left.
 *
 * Timing. The clip plays at the frames' real pace: frame i is shown for capturedAt[i+1] −
 * capturedAt[i], so a scene the sampler slowed down on (adaptive rate) or deduplicated (a still
 * scene stores fewer frames) keeps its real duration, and the burnt-in time is always the frame's
 * own. A hold is clamped to [MIN_HOLD_SECONDS, MAX_HOLD_SECONDS]: a gap in the evidence (between
 * windows, or frames purged) does not become a long still, and two frames captured in the same
 * instant are both shown. The last frame has no successor and is shown for one 25 fps tick.
 *
 * How. ffmpeg's concat demuxer reads a list of the frame files with a `duration` per file and the
 * capture time as per-packet metadata, which `drawtext` prints with `%{metadata:…}`; `-fps_mode vfr`
 * keeps exactly one encoded picture per frame. Keyframes every 2 s make the clip seekable in a
 * browser; `+faststart` puts the index first so playback starts before the whole file arrived.
 * x264's `superfast` preset: about twice as fast as `veryfast` for some 15% more bytes, which keeps a
 * 1,200-frame clip within seconds on two shared cores (`ultrafast` is faster still but doubles the size).
 */

export const MIN_HOLD_SECONDS = 0.04;
export const MAX_HOLD_SECONDS = 2;
/** Debian's fonts-dejavu-core; ffmpeg's drawtext needs a font file. */
export const DEFAULT_CLIP_FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

export interface ClipFrame {
  /** A JPEG on disk (ffmpeg reads it by path). */
  file: string;
  capturedAt: Date;
}

export interface EncodeClipOptions {
  ffmpegPath: string;
  frames: ClipFrame[];
  /** The folder for the list file (the caller's temporary folder). */
  workDir: string;
  output: string;
  fontFile?: string;
  /** Kill ffmpeg after this long (default 120 s). */
  timeoutMs?: number;
  /** x264's threads (default 2): a clip build must leave the rest of the machine to the API. */
  threads?: number;
}

export type ClipEncodeErrorCode = 'NO_FRAMES' | 'FONT_MISSING' | 'FFMPEG_FAILED' | 'TIMEOUT';

export class ClipEncodeError extends Error {
  constructor(
    readonly code: ClipEncodeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ClipEncodeError';
  }
}

/** Seconds each frame is shown (see the timing note above). */
export function frameHolds(capturedAt: Date[]): number[] {
  return capturedAt.map((at, index) => {
    const next = capturedAt[index + 1];
    if (!next) return MIN_HOLD_SECONDS;
    const seconds = (next.getTime() - at.getTime()) / 1000;
    return Math.min(MAX_HOLD_SECONDS, Math.max(MIN_HOLD_SECONDS, seconds));
  });
}

/** "2026-12-07 16:05:00.185 UTC": what is burnt into each frame. */
export function burntInTime(at: Date): string {
  return `${at.toISOString().replace('T', ' ').replace('Z', '')} UTC`;
}

/** The concat demuxer's list. Paths and times are ours (no user text), quoted all the same. */
export function concatList(frames: ClipFrame[]): string {
  const holds = frameHolds(frames.map((frame) => frame.capturedAt));
  const quote = (text: string) => `'${text.replace(/'/g, "'\\''")}'`;
  const lines = ['ffconcat version 1.0'];
  frames.forEach((frame, index) => {
    lines.push(`file ${quote(frame.file)}`);
    lines.push(`file_packet_meta vigil_time ${quote(burntInTime(frame.capturedAt))}`);
    lines.push(`duration ${holds[index]!.toFixed(3)}`);
  });
  return `${lines.join('\n')}\n`;
}

export async function encodeClip(options: EncodeClipOptions): Promise<void> {
  const { frames } = options;
  if (frames.length === 0) throw new ClipEncodeError('NO_FRAMES', 'A clip needs at least one frame');
  const fontFile = options.fontFile ?? DEFAULT_CLIP_FONT;
  try {
    await access(fontFile);
  } catch {
    throw new ClipEncodeError(
      'FONT_MISSING',
      `The font for the clip's burnt-in times is missing: ${fontFile} (install Debian's fonts-dejavu-core)`,
    );
  }
  const list = path.join(options.workDir, 'frames.ffconcat');
  await writeFile(list, concatList(frames));
  // drawtext's own escaping: the font path is ours, but ':' and '\' would still break the option.
  const font = fontFile.replace(/\\/g, '\\\\').replace(/:/g, '\\:').replace(/'/g, "\\'");
  const filter =
    `drawtext=fontfile='${font}':text='%{metadata\\:vigil_time}':x=8:y=8:fontsize=16:` +
    'fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=4,' +
    // x264 with yuv420p needs even sides; frames are multiples of 32 already, this is for the rest.
    'scale=trunc(iw/2)*2:trunc(ih/2)*2';
  const args = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-y',
    '-protocol_whitelist',
    'file',
    '-f',
    'concat',
    '-safe',
    '0',
    '-i',
    list,
    '-vf',
    filter,
    '-fps_mode',
    'vfr',
    '-c:v',
    'libx264',
    '-preset',
    'superfast',
    '-crf',
    '23',
    '-pix_fmt',
    'yuv420p',
    '-threads',
    String(options.threads ?? 2),
    '-force_key_frames',
    'expr:gte(t,n_forced*2)',
    '-movflags',
    '+faststart',
    '-an',
    '-f',
    'mp4',
    options.output,
  ];
  await runFfmpeg(options.ffmpegPath, args, options.timeoutMs ?? 120_000);
}

function runFfmpeg(ffmpegPath: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let timedOut = false;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      // The last few kilobytes say why it failed; the rest is noise.
      stderr = (stderr + chunk).slice(-4096);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(
        new ClipEncodeError('FFMPEG_FAILED', `ffmpeg could not start (${ffmpegPath}): ${error.message}`),
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut)
        reject(new ClipEncodeError('TIMEOUT', `ffmpeg did not finish the clip within ${timeoutMs} ms`));
      else if (code === 0) resolve();
      else
        reject(
          new ClipEncodeError(
            'FFMPEG_FAILED',
            `ffmpeg failed (${signal ?? `exit ${code}`}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
          ),
        );
    });
  });
}
