/**
 * Local scene analysis benchmark: frames per second of each way of analysing a stream's kept frames
 * on the CPU, what each does to the event loop of the process, and where a frame's time goes.
 *
 *   npm run build && node dist/bench/local-detector-pool.bench.js      (or: npm run bench:scene)
 *
 * Frames: vtest.avi (79.5 s, fixed camera, pedestrians) through the sampler's own ffmpeg arguments
 * at 1 fps and 448 px, then SSIM dedup at 0.95 as ingest keeps them; windows of 8 kept frames with
 * stride 4 (the stream defaults), so half of each window's frames were seen by the window before.
 *
 * Paths (each a ScenePath: the kept frames in, one result per frame out):
 * - in-thread, 512x512: the detector as it ran before the scene path (the baseline): LocalAnalyser on
 *   the main thread, one frame at a time, CenterNet on every frame stretched to its graph's 512x512
 *   and nsfwjs on every frame;
 * - in-thread, frame aspect: the same with CenterNet at the frame's aspect, 448 px long
 *   (centernet-graph.ts), the input every other path uses;
 * - pool, N threads: LocalDetectorPool, the frames of a window spread over N worker threads
 *   (1 and LOCAL_DETECTOR_THREADS' default, one per core, unless BENCH_POOL_THREADS lists others).
 * Windows are handed to a path BENCH_WINDOWS_IN_FLIGHT (4) at a time, as a worker with a backlog
 * does. Each path first warms up on frames of its own (models loaded, threads started), untimed.
 *
 * Printed per path: kept frames, wall time, frames/s, CPU milliseconds per frame (every thread of the
 * process), what warming up added to the process's RSS (models, threads; memory freed by an earlier
 * path may be reused), the event loop's delay while the path ran (p99 and max,
 * monitorEventLoopDelay), and the per-frame split, median and p95: JPEG decode and resizes,
 * CenterNet, nsfwjs, and the wait in the pool's queue. Detections of the pool are compared frame by
 * frame with the in-thread ones at the same input.
 *
 * vtest.avi comes from `bash scripts/fetch-test-media.sh`; the benchmark fails without it.
 */
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { LocalDetectorPool } from '../src/inference/local/detector-pool';
import { loadLocalDetector, type FrameDetection } from '../src/inference/local/frame-detector';
import { LocalAnalyser, type FrameAnalyser } from '../src/inference/local/shared-detector';
import { createJpegFrameDedup } from '../src/media/frame-dedup';
import { sampleFile, TEST_MEDIA_DIR, vtestPath } from '../test/support/test-media';
import { printTable } from './support/bench-output';

const FPS = 1;
const LONG_SIDE = 448;
const SSIM_THRESHOLD = 0.95;
const WINDOW_SIZE = 8;
const WINDOW_STRIDE = 4;
const WARMUP_FRAMES = 4;
const WINDOWS_IN_FLIGHT = Number(process.env.BENCH_WINDOWS_IN_FLIGHT) || 4;
/** At most this many kept frames are timed (all of them by default). */
const MAX_FRAMES = Number(process.env.BENCH_SCENE_FRAMES) || Infinity;
const POOL_THREADS = (process.env.BENCH_POOL_THREADS ?? `1,${os.availableParallelism()}`)
  .split(',')
  .map(Number)
  .filter((n, i, all) => Number.isInteger(n) && n > 0 && all.indexOf(n) === i);

/** A kept frame of the stream. */
export interface BenchFrame {
  /** Position among the kept frames. */
  index: number;
  /** Seconds from the start of the video. */
  seconds: number;
  jpeg: Buffer;
  /** Unique per frame, as a Frame row's id is. */
  key: string;
}

/** What a path made of one frame: a detection, or null when it chose not to detect the frame. */
export interface FrameResult {
  detection: FrameDetection | null;
}

/** One way of analysing a stream's kept frames (in order): a result per frame, in the same order. */
export type ScenePath = (frames: readonly BenchFrame[]) => Promise<FrameResult[]>;

export interface PathEntry {
  name: string;
  run: ScenePath;
  /** Frees what run() loaded (models, threads). */
  close(): Promise<void>;
}

interface Spread {
  median: number;
  p95: number;
}

export interface PathFigures {
  name: string;
  frames: number;
  detected: number;
  wallSeconds: number;
  framesPerSecond: number;
  cpuMsPerFrame: number;
  /** What warming up (models, threads) added to the process's resident memory, MB. */
  rssMb: number;
  loopDelay: { p99: number; max: number };
  decode: Spread | null;
  objects: Spread | null;
  nsfw: Spread | null;
  queue: Spread | null;
  results: FrameResult[];
}

// --- helpers -------------------------------------------------------------------------------------

function quantile(values: number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))]!;
}

function spread(values: number[]): Spread | null {
  return values.length ? { median: quantile(values, 0.5), p95: quantile(values, 0.95) } : null;
}

const msOf = (value: Spread | null): string =>
  value ? `${value.median.toFixed(0)} / ${value.p95.toFixed(0)}` : '-';

/**
 * The frames' windows as a worker analyses them: WINDOW_SIZE frames every WINDOW_STRIDE, at most
 * WINDOWS_IN_FLIGHT handed to the analyser at once, each frame under its key so that a frame shared
 * by two windows is detected once. Returns each frame's detection.
 */
async function detectInWindows(
  analyser: FrameAnalyser,
  frames: readonly BenchFrame[],
): Promise<FrameResult[]> {
  const starts: number[] = [];
  for (let start = 0; start + WINDOW_SIZE <= frames.length; start += WINDOW_STRIDE) starts.push(start);
  // The last frames, when they do not fill a window, still count: a shorter last window.
  const covered = starts.length ? starts.at(-1)! + WINDOW_SIZE : 0;
  if (covered < frames.length) starts.push(Math.max(0, frames.length - WINDOW_SIZE));
  const byIndex = new Map<number, FrameDetection>();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < starts.length) {
      const start = starts[next]!;
      next += 1;
      const window = frames.slice(start, start + WINDOW_SIZE);
      const detections = await analyser.detect(window.map((frame) => ({ jpeg: frame.jpeg, key: frame.key })));
      window.forEach((frame, i) => byIndex.set(frame.index, detections[i]!));
    }
  };
  await Promise.all(Array.from({ length: WINDOWS_IN_FLIGHT }, lane));
  return frames.map((frame) => ({ detection: byIndex.get(frame.index) ?? null }));
}

// --- the paths -----------------------------------------------------------------------------------

function inThreadPath(centernetInput: 'graph-square' | 'frame-aspect'): PathEntry {
  const analyser = new LocalAnalyser(() => loadLocalDetector({ centernetInput }));
  return {
    name: `in-thread, ${centernetInput === 'graph-square' ? '512x512 (before)' : 'frame aspect'} (LocalAnalyser)`,
    run: (frames) => detectInWindows(analyser, frames),
    close: () => analyser.dispose(),
  };
}

function poolPath(threads: number): PathEntry {
  const pool = new LocalDetectorPool({ threads });
  return {
    name: `pool, ${threads} thread${threads === 1 ? '' : 's'} (LocalDetectorPool)`,
    run: (frames) => detectInWindows(pool, frames),
    close: () => pool.dispose(),
  };
}

// --- measuring -----------------------------------------------------------------------------------

async function measure(entry: PathEntry, frames: BenchFrame[], warmup: BenchFrame[]): Promise<PathFigures> {
  const rssBefore = process.memoryUsage().rss;
  const warmStarted = performance.now();
  await entry.run(warmup);
  const warmMs = performance.now() - warmStarted;
  const rssMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  const cpu = process.cpuUsage();
  const started = performance.now();
  histogram.enable();
  let results: FrameResult[];
  try {
    results = await entry.run(frames);
  } finally {
    histogram.disable();
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const timings = results.flatMap((r) => (r.detection?.timings ? [r.detection.timings] : []));
  const queued = timings.flatMap((t) => (t.queueMs === undefined ? [] : [t.queueMs]));
  const figures: PathFigures = {
    name: entry.name,
    // A path may analyse the frames several times over (as several streams): each result counts.
    frames: results.length,
    detected: results.filter((r) => r.detection).length,
    wallSeconds,
    framesPerSecond: results.length / wallSeconds,
    cpuMsPerFrame: (used.user + used.system) / 1000 / results.length,
    rssMb,
    loopDelay: { p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6 },
    decode: spread(timings.map((t) => t.decodeMs)),
    objects: spread(timings.map((t) => t.objectsMs)),
    nsfw: spread(timings.map((t) => t.nsfwMs)),
    queue: spread(queued),
    results,
  };
  console.log(
    `  ${entry.name}: warm-up (models, threads) ${(warmMs / 1000).toFixed(1)} s; ` +
      `${figures.framesPerSecond.toFixed(2)} frames/s, event-loop p99 ${figures.loopDelay.p99.toFixed(1)} ms`,
  );
  return figures;
}

function sameDetection(a: FrameDetection | null, b: FrameDetection | null): boolean {
  if (!a || !b) return a === b;
  const { timings: _a, ...left } = a;
  const { timings: _b, ...right } = b;
  return JSON.stringify(left) === JSON.stringify(right);
}

// --- main ----------------------------------------------------------------------------------------

export async function keptFramesOfVtest(): Promise<{ sampled: number; frames: BenchFrame[]; size: string }> {
  const vtest = vtestPath();
  if (!vtest)
    throw new Error(`${TEST_MEDIA_DIR}/vtest.avi is missing: run \`bash scripts/fetch-test-media.sh\``);
  const sampled = await sampleFile(vtest, { fps: FPS, longSide: LONG_SIDE });
  const dedup = createJpegFrameDedup({ threshold: SSIM_THRESHOLD });
  const start = Date.parse('2026-11-21T14:00:00.000Z');
  const frames: BenchFrame[] = [];
  for (const frame of sampled.frames) {
    const decision = await dedup.decide(frame.jpeg, new Date(start + frame.seconds * 1000));
    if (!decision.keep) continue;
    frames.push({
      index: frames.length,
      seconds: frame.seconds,
      jpeg: frame.jpeg,
      key: `frame-${frame.index}`,
    });
  }
  return { sampled: sampled.frames.length, frames, size: `${sampled.width}x${sampled.height}` };
}

export async function runLocalDetectorPoolBench(
  extraPaths: (() => PathEntry)[] = [],
): Promise<PathFigures[]> {
  console.log(
    `Local scene analysis benchmark: ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}; ` +
      `load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} (other work on this machine skews timings)`,
  );
  const kept = await keptFramesOfVtest();
  const frames = kept.frames.slice(0, MAX_FRAMES);
  // Warm-up frames of their own (other keys), so the timed run finds nothing remembered.
  const warmup = frames.slice(0, WARMUP_FRAMES).map((frame) => ({ ...frame, key: `warmup-${frame.key}` }));
  console.log(
    `vtest.avi at ${FPS} fps, ${kept.size}: ${kept.sampled} frames sampled, ${kept.frames.length} kept by SSIM ${SSIM_THRESHOLD} dedup, ` +
      `${frames.length} timed; windows of ${WINDOW_SIZE} with stride ${WINDOW_STRIDE}, ${WINDOWS_IN_FLIGHT} in flight\n`,
  );
  const paths = [
    () => inThreadPath('graph-square'),
    () => inThreadPath('frame-aspect'),
    ...POOL_THREADS.map((threads) => () => poolPath(threads)),
    ...extraPaths,
  ];
  const figures: PathFigures[] = [];
  for (const makePath of paths) {
    const entry = makePath();
    try {
      figures.push(await measure(entry, frames, warmup));
    } finally {
      await entry.close();
    }
  }

  console.log(
    `\nLocal scene analysis of ${frames.length} kept frames (per-frame split: median / p95, ms; loop = event-loop delay of the process):`,
  );
  printTable(
    [
      'path',
      'frames/s',
      'wall s',
      'CPU ms/frame',
      'RSS +MB',
      'loop p99 ms',
      'loop max ms',
      'decode',
      'objects',
      'nsfw',
      'queue wait',
    ],
    figures.map((f) => [
      f.name,
      f.framesPerSecond.toFixed(2),
      f.wallSeconds.toFixed(1),
      f.cpuMsPerFrame.toFixed(0),
      f.rssMb.toFixed(0),
      f.loopDelay.p99.toFixed(1),
      f.loopDelay.max.toFixed(1),
      msOf(f.decode),
      msOf(f.objects),
      msOf(f.nsfw),
      msOf(f.queue),
    ]),
  );
  const [baseline, sameInput] = [figures[0]!, figures[1]!];
  for (const f of figures.slice(1)) {
    const speedup = `${(f.framesPerSecond / baseline.framesPerSecond).toFixed(2)}x the in-thread 512x512 frames/s`;
    if (!f.results.some((r) => r.detection?.timings)) {
      console.log(`  ${f.name}: ${speedup}; the detector looked at ${f.detected} of ${f.frames} frames`);
      continue;
    }
    if (f === sameInput) {
      console.log(`  ${f.name}: ${speedup}`);
      continue;
    }
    const same = f.results.filter((r, i) =>
      sameDetection(r.detection, sameInput.results[i]!.detection),
    ).length;
    console.log(
      `  ${f.name}: ${speedup}; ${f.detected} of ${f.frames} frames detected; ` +
        `detections identical to the in-thread frame-aspect ones on ${same} of ${f.frames} frames`,
    );
  }
  return figures;
}

if (require.main === module) {
  runLocalDetectorPoolBench().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
