/**
 * Test and benchmark media, made with ffmpeg (Debian's, from PATH or FFMPEG_PATH) rather than kept
 * in the repository:
 * - a static scene with scripted changes at known times (dedup must skip the static stretches and
 *   keep every change);
 * - a 1080p30 H.264 clip (the benchmark's "camera");
 * - the real fixed-camera video vtest.avi, fetched by scripts/fetch-test-media.sh.
 * Plus a small stand-in for the sampler (ffmpeg -> JPEG frames on a pipe) so that tests and the
 * benchmark do not depend on src/media/ffmpeg-sampler.ts, which is written in parallel.
 *
 * Generated clips are cached under the OS temp folder (or VIGIL_TEST_MEDIA_CACHE), keyed by a hash
 * of the ffmpeg arguments and ffmpeg's version, so every test file and benchmark run of one machine
 * shares them; a clip is written under a temporary name and renamed, so a reader never sees half of
 * one.
 */
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildFfmpegArgs, resolveOptions } from '../../src/media/ffmpeg-sampler';
import { computeFrameGeometry } from '../../src/media/frame-geometry';
import { JpegFrameSplitter } from '../../src/media/jpeg-frame-splitter';
import { pathToFileURL } from 'node:url';

export const FFMPEG = process.env.FFMPEG_PATH || 'ffmpeg';
export const FFPROBE = process.env.FFPROBE_PATH || 'ffprobe';

/**
 * Where scripts/fetch-test-media.sh puts vtest.avi: test/.media of the repository (found by walking
 * up to package.json, because this file also runs compiled, from dist/test/support/), or
 * VIGIL_TEST_MEDIA_DIR.
 */
export const TEST_MEDIA_DIR =
  process.env.VIGIL_TEST_MEDIA_DIR || path.join(repositoryRoot(), 'test', '.media');

function repositoryRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(__dirname, '..', '..');
  }
}

/** test/.media/vtest.avi when it has been fetched, else null. */
export function vtestPath(): string | null {
  const file = path.join(TEST_MEDIA_DIR, 'vtest.avi');
  return existsSync(file) ? file : null;
}

export interface ScriptedChange {
  /** Seconds from the start of the clip. */
  atSeconds: number;
  what: string;
}

export interface StaticScene {
  path: string;
  width: number;
  height: number;
  fps: number;
  durationSeconds: number;
  /** When something visible changes; nothing else changes apart from sensor noise. */
  changes: ScriptedChange[];
}

const SCENE_WIDTH = 640;
const SCENE_HEIGHT = 360;
const SCENE_FPS = 30;
const SCENE_SECONDS = 36;

// Two objects, each drawn as a filled box with a darker core and a light border (so they have edges
// and texture, like a person or a bag, rather than being a flat patch). Sizes: 128x128 and 144x96
// px of 640x360, 7% and 6% of the picture, about what a person a few metres from a fixed camera
// covers. Mean-SSIM dedup at 0.95 needs an object of roughly 4% of the frame to notice it (see
// bench/ingest-media.bench.ts), so these are detectable by design; the benchmark prints how small an
// object may get before it is missed.
const SCENE_CHANGES: ScriptedChange[] = [
  { atSeconds: 8, what: 'a red box enters (right half)' },
  { atSeconds: 12, what: 'the red box leaves' },
  { atSeconds: 20, what: 'a blue box appears (lower left)' },
  { atSeconds: 28, what: 'the blue box moves (to the upper middle)' },
];

function box(x: number, y: number, w: number, h: number, fill: string, enable: string): string[] {
  const core = `x=${x + w / 4}:y=${y + h / 4}:w=${w / 2}:h=${h / 2}`;
  return [
    `drawbox=x=${x}:y=${y}:w=${w}:h=${h}:color=${fill}:t=fill:enable='${enable}'`,
    `drawbox=${core}:color=0x202020:t=fill:enable='${enable}'`,
    `drawbox=x=${x}:y=${y}:w=${w}:h=${h}:color=0xf0f0f0:t=4:enable='${enable}'`,
  ];
}

function staticSceneArgs(output: string): string[] {
  // The scene: a gray wall of tiles (drawgrid) with a frozen test card hung on it (a single
  // testsrc2 frame, looped), so that blocks have texture the way a real background does. Sensor
  // noise (temporal, mild) is added after the objects, over everything, and x264 compresses it like
  // a camera would: the static stretches are "the same" only up to noise and coding artifacts.
  const poster = 'testsrc2=s=256x144:r=30,trim=end_frame=1,loop=loop=-1:size=1,setpts=N/30/TB';
  const wall = `color=c=0x707070:s=${SCENE_WIDTH}x${SCENE_HEIGHT}:r=${SCENE_FPS},drawgrid=w=32:h=32:t=1:c=0xd0d0d0`;
  const graph = [
    `${wall}[wall]`,
    `${poster}[poster]`,
    [
      '[wall][poster]overlay=x=40:y=40:shortest=0',
      ...box(420, 150, 128, 128, 'red', 'between(t,8,12)'),
      ...box(40, 232, 144, 96, 'blue', 'between(t,20,28)'),
      ...box(300, 24, 144, 96, 'blue', 'gte(t,28)'),
      'noise=alls=2:allf=t',
      'format=yuv420p',
    ].join(','),
  ].join(';');
  return [
    ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'],
    ...['-filter_complex', graph, '-t', String(SCENE_SECONDS)],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-g', '60', '-bf', '0'],
    output,
  ];
}

/** The static scene with scripted changes (generated once per machine, then cached). */
export async function staticScene(): Promise<StaticScene> {
  const file = await cachedClip('static-scene', staticSceneArgs);
  return {
    path: file,
    width: SCENE_WIDTH,
    height: SCENE_HEIGHT,
    fps: SCENE_FPS,
    durationSeconds: SCENE_SECONDS,
    changes: SCENE_CHANGES.map((change) => ({ ...change })),
  };
}

export interface Hd1080Clip {
  path: string;
  width: number;
  height: number;
  fps: number;
  durationSeconds: number;
  /** Frames between keyframes. */
  gopFrames: number;
  description: string;
}

const HD_SECONDS = 10;
const HD_GOP = 60;

function hd1080Args(output: string): string[] {
  // Camera-like H.264: High profile, no B-frames (most IP cameras send I and P frames only, for
  // latency), a keyframe every 2 s exactly, ~6 Mbit/s (a typical 1080p main stream). testsrc2 moves every frame, and temporal noise keeps
  // the encoder from coding most of the picture as "unchanged", which would make decoding unfairly
  // cheap.
  return [
    ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', `testsrc2=s=1920x1080:r=30:d=${HD_SECONDS},noise=alls=4:allf=t,format=yuv420p`],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-bf', '0'],
    // A fixed GOP, as cameras send: no extra keyframes at "scene cuts" (x264 finds some in noise).
    ...['-g', String(HD_GOP), '-keyint_min', String(HD_GOP), '-sc_threshold', '0'],
    ...['-b:v', '6M', '-maxrate', '6M', '-bufsize', '12M'],
    output,
  ];
}

/** A 10 s 1080p30 H.264 clip for the CPU benchmark (generated once per machine, then cached). */
export async function hd1080Clip(): Promise<Hd1080Clip> {
  const file = await cachedClip('hd1080p30', hd1080Args);
  return {
    path: file,
    width: 1920,
    height: 1080,
    fps: 30,
    durationSeconds: HD_SECONDS,
    gopFrames: HD_GOP,
    description: `testsrc2 + temporal noise, H.264 High, no B-frames, GOP ${HD_GOP}, 6 Mbit/s`,
  };
}

const pending = new Map<string, Promise<string>>();

async function cachedClip(name: string, argsFor: (output: string) => string[]): Promise<string> {
  const key = createHash('sha256')
    .update(ffmpegVersion())
    .update(JSON.stringify(argsFor('OUTPUT')))
    .digest('hex')
    .slice(0, 16);
  const dir = process.env.VIGIL_TEST_MEDIA_CACHE || path.join(os.tmpdir(), 'vigil-test-media');
  const file = path.join(dir, `${name}-${key}.mp4`);
  let clip = pending.get(file);
  if (!clip) {
    clip = (async () => {
      if (existsSync(file)) return file;
      mkdirSync(dir, { recursive: true });
      const partial = `${file}.${process.pid}.partial.mp4`;
      try {
        await runFfmpeg(argsFor(partial));
        renameSync(partial, file);
      } finally {
        rmSync(partial, { force: true });
      }
      return file;
    })();
    pending.set(file, clip);
    // A failed generation may be retried by the next caller.
    clip.catch(() => pending.delete(file));
  }
  return clip;
}

let version: string | undefined;
function ffmpegVersion(): string {
  version ??= execFileSync(FFMPEG, ['-version'], { encoding: 'utf8' }).split('\n')[0] ?? '';
  return version;
}

/** Runs ffmpeg to completion (no shell); rejects with its stderr on a non-zero exit. */
export function runFfmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(FFMPEG, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr = (stderr + text).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`ffmpeg exited with ${code ?? signal}: ${stderr.trim()}`));
    });
  });
}

/** Width and height of the first video stream of a file. */
export function probeVideoSize(file: string): { width: number; height: number } {
  const out = execFileSync(
    FFPROBE,
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', file],
    { encoding: 'utf8' },
  );
  const [width, height] = out.trim().split(',').map(Number);
  if (!width || !height) throw new Error(`ffprobe found no video size in ${file}: ${out}`);
  return { width, height };
}

export interface SampledFrame {
  /** 0, 1, 2, … in output order. */
  index: number;
  /** Position in the source: index / fps (the fps filter emits one frame per 1/fps of input time). */
  seconds: number;
  jpeg: Buffer;
}

export interface SampleOptions {
  fps: number;
  /** Long side of the JPEGs; default 448. */
  longSide?: number;
  /**
   * Decoder, filter and encoder threads; default 1, as the real sampler runs (many streams share
   * one worker's cores); 0 lets ffmpeg choose.
   */
  threads?: number;
  /** ffmpeg's log level; default info, as the sampler runs it (showinfo and -benchmark report there). */
  logLevel?: string;
  /** Options placed before `-i` (for example -re, -stream_loop -1, -skip_frame nokey). */
  inputOptions?: string[];
  /** Options placed after the filters, before the encoder. */
  outputOptions?: string[];
  /** Called for each frame as it arrives (the frames are then not collected). */
  onFrame?: (frame: SampledFrame) => void | Promise<void>;
  /** JPEG quality scale for ffmpeg's mjpeg encoder (2 best .. 31 worst); default the sampler's (3). */
  quality?: number;
}

export interface SamplerRun {
  frames: SampledFrame[];
  width: number;
  height: number;
  /** The ffmpeg child, while it runs (for /proc readings and for stopping it). */
  child: ReturnType<typeof spawn>;
  /** Resolves when ffmpeg exits (rejects on a failure other than being stopped). */
  done: Promise<{ stderr: string }>;
  stop(): void;
}

/** The sampler's own ffmpeg command (buildFfmpegArgs) for a file, with the benchmark's extra options. */
export function samplerArgs(input: string, options: SampleOptions): string[] {
  const args = buildFfmpegArgs(
    resolveOptions({
      ffmpegPath: FFMPEG,
      source: { url: pathToFileURL(path.resolve(input)).href, kind: 'FILE' },
      fps: options.fps,
      maxWidth: options.longSide ?? 448,
      jpegQuality: options.quality,
    }),
  );
  const threads = String(options.threads ?? 1);
  const at = (flag: string) => args.indexOf(flag) + 1;
  args[at('-loglevel')] = options.logLevel ?? 'info';
  args[at('-threads')] = threads;
  args[at('-filter_threads')] = threads;
  args.splice(args.indexOf('-i'), 0, ...(options.inputOptions ?? []));
  args.splice(args.indexOf('-c:v'), 0, ...(options.outputOptions ?? []));
  return args;
}

/**
 * The sampler's ffmpeg pipeline on a file, driven from here so tests and the benchmark can read the
 * child's CPU and loop the input: the same arguments (samplerArgs), the same JPEG splitter and
 * frame geometry as src/media/ffmpeg-sampler.ts, without its timestamps, timeouts and back-pressure.
 */
export function startSampler(input: string, options: SampleOptions): SamplerRun {
  const size = computeFrameGeometry(probeVideoSize(input), options.longSide ?? 448);
  const child = spawn(FFMPEG, samplerArgs(input, options), { stdio: ['ignore', 'pipe', 'pipe'] });
  const splitter = new JpegFrameSplitter();
  const frames: SampledFrame[] = [];
  let stopped = false;
  let stderr = '';
  let index = 0;
  let work: Promise<void> = Promise.resolve();
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    stderr = (stderr + text).slice(-8000);
  });
  child.stdout.on('data', (chunk: Buffer) => {
    for (const jpeg of splitter.push(chunk)) {
      const frame: SampledFrame = { index, seconds: index / options.fps, jpeg };
      index += 1;
      if (options.onFrame) {
        const onFrame = options.onFrame;
        work = work.then(() => onFrame(frame));
      } else frames.push(frame);
    }
  });
  const done = new Promise<{ stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      work.then(() => {
        if (code === 0 || stopped) resolve({ stderr });
        else reject(new Error(`ffmpeg exited with ${code ?? signal}: ${stderr.trim()}`));
      }, reject);
    });
  });
  return {
    frames,
    ...size,
    child,
    done,
    stop() {
      stopped = true;
      child.kill('SIGTERM');
    },
  };
}

/** Samples a whole file and returns its frames. */
export async function sampleFile(
  input: string,
  options: Omit<SampleOptions, 'onFrame'>,
): Promise<{ frames: SampledFrame[]; width: number; height: number; stderr: string }> {
  const run = startSampler(input, options);
  const { stderr } = await run.done;
  return { frames: run.frames, width: run.width, height: run.height, stderr };
}
