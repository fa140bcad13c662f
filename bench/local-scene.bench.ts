/**
 * The local analyser's whole path against today's detector path, on the same kept frames of
 * vtest.avi in the same run: frames per second, event-loop delay, and where a frame's time goes.
 *
 *   npm run bench:scene
 *
 * Paths: the in-thread detector and the detector pool alone (bench/local-detector-pool.bench.ts),
 * then the scene path as the worker runs it (SceneAnalysis: motion on grayscale planes, the pool
 * where motion needs it, the tracker, zones and lines of the demo camera, events, the result, the
 * state in Redis between windows), for one stream and for STREAMS streams at once (the same
 * footage under other stream ids, each stream's windows in order as its lock makes them).
 * vtest.avi is a busy walkway: people move in almost every frame, so motion gating saves less here
 * than on a quiet camera.
 *
 * Needs Redis (REDIS_URL, default redis://127.0.0.1:6379/14; its scene keys are removed after).
 */
import os from 'node:os';
import Redis from 'ioredis';
import { SceneAnalysis, type SceneTimings, type SceneWindowOutcome } from '../src/analysis/scene-analysis';
import { VTEST_LAWN, VTEST_WEST_LINE } from '../test/support/vtest-scene';
import { LocalDetectorPool } from '../src/inference/local/detector-pool';
import {
  runLocalDetectorPoolBench,
  type BenchFrame,
  type FrameResult,
  type PathEntry,
} from './local-detector-pool.bench';
import { printTable } from './support/bench-output';

const WINDOW_SIZE = 8;
const WINDOW_STRIDE = 4;
const STREAMS = Number(process.env.BENCH_SCENE_STREAMS) || 4;
const THREADS = os.availableParallelism();
const T0 = Date.parse('2026-11-21T14:00:00.000Z');

const splits: { name: string; frames: number; detected: number; timings: SceneTimings }[] = [];

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
            if (start + WINDOW_SIZE >= ofStream.length) break;
          }
          await scene.forget('bench', streamId);
        };
        await Promise.all(Array.from({ length: streams }, (_, stream) => oneStream(stream)));
        if (frames.length > 8)
          splits.push({ name, frames: frames.length * streams, detected, timings: total });
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

async function main(): Promise<void> {
  const figures = await runLocalDetectorPoolBench([scenePath(1), scenePath(STREAMS)]);
  const baseline = figures[0]!;
  console.log(
    '\nScene path, per kept frame (ms; detector = wall time waiting for the pool, its threads in parallel):',
  );
  printTable(
    ['path', 'frames', 'detector ran on', 'decode', 'motion', 'detector', 'tracker+zones', 'result'],
    splits.map((split) => [
      split.name,
      split.frames,
      `${split.detected} (${((100 * split.detected) / split.frames).toFixed(0)}%)`,
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
        `today's in-thread detector path (target 3x); at 1 fps that is about ${Math.floor(f.framesPerSecond)} streams ` +
        `(target 8); event-loop p99 ${f.loopDelay.p99.toFixed(1)} ms (target at most 50)`,
    );
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
