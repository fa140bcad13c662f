/**
 * The local analyser's whole path against the detector path it replaced (in-thread, 512x512, both
 * models on every frame), on the same kept frames of vtest.avi in the same run: frames per second,
 * event-loop delay, and where a frame's time goes; then PACED_STREAMS streams at 1 fps in real time
 * (see pacedRun).
 *
 *   npm run bench:scene
 *
 * Paths: the in-thread detector and the detector pool alone (bench/local-detector-pool.bench.ts),
 * then the scene path as the worker runs it (SceneAnalysis: motion on grayscale planes, the pool
 * where motion needs it, the tracker, zones and lines of the demo camera, events, the result, the
 * state in Redis between windows), for one stream and for STREAMS streams at once (the same
 * footage under other stream ids, each stream's windows in order as its lock makes them).
 * vtest.avi is a busy walkway: people move in almost every frame, so motion gating saves less here
 * than on a quiet camera (the NSFW classifier's own cadence still applies).
 *
 * Needs Redis (REDIS_URL, default redis://127.0.0.1:6379/14; its scene keys are removed after).
 */
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Redis from 'ioredis';
import { SceneAnalysis, type SceneTimings, type SceneWindowOutcome } from '../src/analysis/scene-analysis';
import { VTEST_LAWN, VTEST_WEST_LINE } from '../test/support/vtest-scene';
import { LocalDetectorPool } from '../src/inference/local/detector-pool';
import {
  keptFramesOfVtest,
  runLocalDetectorPoolBench,
  type BenchFrame,
  type FrameResult,
  type PathEntry,
} from './local-detector-pool.bench';
import { printTable } from './support/bench-output';

const WINDOW_SIZE = 8;
const WINDOW_STRIDE = 4;
const STREAMS = Number(process.env.BENCH_SCENE_STREAMS) || 4;
/** Streams of the paced run, each at the footage's own 1 fps in real time. */
const PACED_STREAMS = Number(process.env.BENCH_PACED_STREAMS) || 8;
const THREADS = os.availableParallelism();
const T0 = Date.parse('2026-11-21T14:00:00.000Z');

const splits: {
  name: string;
  frames: number;
  detected: number;
  classified: number;
  timings: SceneTimings;
}[] = [];

function scenePath(streams: number): () => PathEntry {
  return () => {
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/14');
    const pool = new LocalDetectorPool({ threads: THREADS });
    const scene = new SceneAnalysis({ redis, detect: (frames) => pool.detect(frames) });
    const name = `scene (pool ${THREADS} threads + motion + tracker + events), ${streams} stream${streams === 1 ? '' : 's'}`;
    let run = 0;
    return {
      name,
      async run(frames: readonly BenchFrame[]): Promise<FrameResult[]> {
        run += 1;
        const total: SceneTimings = { decodeMs: 0, motionMs: 0, detectorMs: 0, trackerMs: 0, eventsMs: 0 };
        let detected = 0;
        let classified = 0;
        const oneStream = async (stream: number): Promise<void> => {
          const streamId = `bench-${run}-${stream}`;
          await scene.forget('bench', streamId);
          const ofStream = frames.map((frame) => ({
            id: `${streamId}-${frame.key}`,
            jpeg: frame.jpeg,
            capturedAt: new Date(T0 + frame.seconds * 1000),
          }));
          for (let start = 0; start < ofStream.length; start += WINDOW_STRIDE) {
            const window = ofStream.slice(start, start + WINDOW_SIZE);
            const outcome: SceneWindowOutcome = await scene.analyseWindow(
              'bench',
              streamId,
              window,
              { version: 1, regions: [VTEST_LAWN, VTEST_WEST_LINE] },
              0.7,
            );
            for (const key of Object.keys(total) as (keyof SceneTimings)[])
              total[key] += outcome.timings[key];
            detected += outcome.detectedFrames;
            classified += outcome.classifiedFrames;
            if (start + WINDOW_SIZE >= ofStream.length) break;
          }
          await scene.forget('bench', streamId);
        };
        await Promise.all(Array.from({ length: streams }, (_, stream) => oneStream(stream)));
        if (frames.length > 8)
          splits.push({ name, frames: frames.length * streams, detected, classified, timings: total });
        // One result per frame of every stream (frames/s counts them all); as many carry a detection
        // as the detector looked at (which frames they were does not matter to the figures).
        const perFrame: FrameResult[] = Array.from({ length: frames.length * streams }, (_, i) => ({
          detection: i < detected ? { objects: [], nsfw: [], width: 0, height: 0 } : null,
        }));
        return perFrame;
      },
      async close() {
        await pool.dispose();
        await redis.quit();
      },
    };
  };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/**
 * PACED_STREAMS streams at 1 fps in real time, as live cameras: each stream's window is handed
 * to the scene path when its last frame would have arrived (the footage's own kept frames, each
 * stream starting half a second after the one before), and a stream's windows run one after
 * another as its lock makes them. Every stream's first window brings 8 new frames at about the same
 * moment, a burst the analyser then works off; it keeps up when, in the second half of the run, a
 * window's lag (done, less the arrival of its last frame) stays under the stride's 4 s at p95.
 */
async function pacedRun(): Promise<void> {
  const { frames } = await keptFramesOfVtest();
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/14');
  const pool = new LocalDetectorPool({ threads: THREADS });
  const scene = new SceneAnalysis({ redis, detect: (batch) => pool.detect(batch) });
  const first = frames[0]!.seconds;
  try {
    // Warm-up: threads started and models loaded before the clock starts.
    await pool.detect(
      frames.slice(0, THREADS).map((frame) => ({ jpeg: frame.jpeg, key: `paced-warmup-${frame.key}` })),
    );
    const lags: { at: number; lagMs: number }[] = [];
    const histogram = monitorEventLoopDelay({ resolution: 5 });
    const cpu = process.cpuUsage();
    const started = performance.now();
    histogram.enable();
    const oneStream = async (stream: number): Promise<void> => {
      const streamId = `paced-${stream}`;
      await scene.forget('bench', streamId);
      const offsetMs = stream * 500;
      for (let start = 0; start < frames.length; start += WINDOW_STRIDE) {
        const window = frames.slice(start, start + WINDOW_SIZE);
        const arrivesAt = started + offsetMs + (window.at(-1)!.seconds - first) * 1000;
        const wait = arrivesAt - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        await scene.analyseWindow(
          'bench',
          streamId,
          window.map((frame) => ({
            id: `${streamId}-${frame.key}`,
            jpeg: frame.jpeg,
            capturedAt: new Date(T0 + frame.seconds * 1000),
          })),
          { version: 1, regions: [VTEST_LAWN, VTEST_WEST_LINE] },
          0.7,
        );
        lags.push({ at: arrivesAt - started, lagMs: performance.now() - arrivesAt });
        if (start + WINDOW_SIZE >= frames.length) break;
      }
      await scene.forget('bench', streamId);
    };
    await Promise.all(Array.from({ length: PACED_STREAMS }, (_, stream) => oneStream(stream)));
    histogram.disable();
    const wallSeconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const spreadOf = (part: typeof lags) => {
      const sorted = part.map((lag) => lag.lagMs).sort((a, b) => a - b);
      return `p50 ${(percentile(sorted, 50) / 1000).toFixed(2)} s, p95 ${(percentile(sorted, 95) / 1000).toFixed(2)} s, max ${(sorted.at(-1)! / 1000).toFixed(2)} s`;
    };
    const byArrival = [...lags].sort((a, b) => a.at - b.at);
    const half = byArrival.slice(Math.floor(byArrival.length / 2));
    const halfSorted = half.map((lag) => lag.lagMs).sort((a, b) => a - b);
    const framesIn = PACED_STREAMS * frames.length;
    console.log(
      `\nPaced: ${PACED_STREAMS} streams at 1 fps in real time (${frames.length} kept frames each, ${framesIn} in all, ` +
        `${lags.length} windows) over ${wallSeconds.toFixed(1)} s. Window lag (done, less the arrival of its last frame):`,
    );
    console.log(
      `  all windows: ${spreadOf(byArrival)} (every stream's first window brings 8 new frames, all at once)`,
    );
    console.log(`  second half of the run: ${spreadOf(half)}`);
    console.log(
      `  CPU ${(((used.user + used.system) / 1e6 / wallSeconds / THREADS) * 100).toFixed(0)}% of ${THREADS} cores; ` +
        `event-loop p99 ${(histogram.percentile(99) / 1e6).toFixed(1)} ms; keeps up: ` +
        `${percentile(halfSorted, 95) < WINDOW_STRIDE * 1000 ? 'yes' : 'no'} (p95 lag of the second half under the ${WINDOW_STRIDE} s stride)`,
    );
  } finally {
    await pool.dispose();
    await redis.quit();
  }
}

async function main(): Promise<void> {
  const figures = await runLocalDetectorPoolBench([scenePath(1), scenePath(STREAMS)]);
  const baseline = figures[0]!;
  console.log(
    '\nScene path, per kept frame (ms; detector = wall time waiting for the pool, its threads in parallel):',
  );
  printTable(
    ['path', 'frames', 'objects on', 'NSFW on', 'decode', 'motion', 'detector', 'tracker+zones', 'result'],
    splits.map((split) => [
      split.name,
      split.frames,
      `${split.detected} (${((100 * split.detected) / split.frames).toFixed(0)}%)`,
      `${split.classified} (${((100 * split.classified) / split.frames).toFixed(0)}%)`,
      (split.timings.decodeMs / split.frames).toFixed(2),
      (split.timings.motionMs / split.frames).toFixed(2),
      (split.timings.detectorMs / split.frames).toFixed(1),
      (split.timings.trackerMs / split.frames).toFixed(2),
      (split.timings.eventsMs / split.frames).toFixed(2),
    ]),
  );
  for (const f of figures.filter((figure) => figure.name.startsWith('scene'))) {
    console.log(
      `  ${f.name}: ${f.framesPerSecond.toFixed(2)} kept frames/s = ${(f.framesPerSecond / baseline.framesPerSecond).toFixed(2)}x ` +
        `the in-thread 512x512 detector path of before (target 3x); at 1 fps that is about ${Math.floor(f.framesPerSecond)} streams ` +
        `(target 8); event-loop p99 ${f.loopDelay.p99.toFixed(1)} ms (target at most 50)`,
    );
  }
  await pacedRun();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
