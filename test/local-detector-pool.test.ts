/**
 * The local detector in a pool of worker threads, with its real models on frames of vtest.avi (the
 * sampler's own ffmpeg pipeline, 1 fps, 448 px): the same detections as the detector on the calling
 * thread, a broken frame failing only its own call, frames shared by overlapping calls detected
 * once, the event loop left free while the threads work, and dispose() ending the threads. Under
 * jest the threads run the TypeScript entry through tsx (they do not go through jest's transform),
 * so this also checks that path; the compiled one is what the worker and the benchmark run.
 */
import { once } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';
import { LocalDetectorPool } from '../src/inference/local/detector-pool';
import {
  loadLocalDetector,
  type FrameDetection,
  type LocalDetector,
} from '../src/inference/local/frame-detector';
import { sampleFile, TEST_MEDIA_DIR, vtestPath, type SampledFrame } from './support/test-media';

jest.setTimeout(180_000);

const THREADS = 2;

function report(line: string): void {
  process.stdout.write(`[local-detector-pool] ${line}\n`);
}

/** What a detection says about the frame, without how long it took. */
function seen(detection: FrameDetection): Omit<FrameDetection, 'timings'> {
  const { timings: _timings, ...rest } = detection;
  return rest;
}

/** The event loop's delay while `work` runs: p99 and max, in milliseconds. */
async function loopDelayDuring<T>(work: () => Promise<T>): Promise<{ result: T; p99: number; max: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  try {
    const result = await work();
    return { result, p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6 };
  } finally {
    histogram.disable();
  }
}

describe('LocalDetectorPool (real threads, real models)', () => {
  let frames: SampledFrame[];
  let pool: LocalDetectorPool;
  let inThread: LocalDetector;

  beforeAll(async () => {
    const vtest = vtestPath();
    if (!vtest) {
      throw new Error(`${TEST_MEDIA_DIR}/vtest.avi is missing: run \`bash scripts/fetch-test-media.sh\``);
    }
    // 10 s to 22 s in: several pedestrians in view.
    ({ frames } = await sampleFile(vtest, { fps: 1, inputOptions: ['-ss', '10', '-t', '12'] }));
    expect(frames.length).toBeGreaterThanOrEqual(10);
    pool = new LocalDetectorPool({ threads: THREADS, minObjectScore: 0.3 });
    inThread = await loadLocalDetector({ minObjectScore: 0.3 });
  });

  afterAll(async () => {
    inThread?.dispose();
    await pool?.dispose();
  });

  it('starts no thread before the first frame', () => {
    expect(pool.threads).toHaveLength(0);
  });

  it('returns the same detections as the detector on this thread, with every timing', async () => {
    const window = frames.slice(0, 6);
    const started = performance.now();
    const pooled = await pool.detect(window.map((frame) => ({ jpeg: frame.jpeg })));
    report(
      `first window of ${window.length} frames (threads start, models load): ${(performance.now() - started).toFixed(0)} ms`,
    );
    expect(pool.threads).toHaveLength(THREADS);
    const expected: FrameDetection[] = [];
    for (const frame of window) expected.push(await inThread.detect(frame.jpeg));
    expect(pooled.map(seen)).toEqual(expected.map(seen));
    expect(pooled.some((d) => d.objects.some((o) => o.label === 'person'))).toBe(true);
    for (const { timings } of pooled) {
      expect(timings).toEqual({
        decodeMs: expect.any(Number),
        objectsMs: expect.any(Number),
        nsfwMs: expect.any(Number),
        queueMs: expect.any(Number),
      });
      expect(timings!.queueMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('applies the per-label minimum scores in the threads', async () => {
    const strict = new LocalDetectorPool({
      threads: 1,
      minObjectScore: 0.3,
      minScoreByLabel: { person: 0.55 },
    });
    try {
      const [detection] = await strict.detect([{ jpeg: frames[0]!.jpeg }]);
      const all = await inThread.detect(frames[0]!.jpeg);
      const people = (d: FrameDetection) => d.objects.filter((o) => o.label === 'person');
      expect(people(all).some((o) => o.confidence < 0.55)).toBe(true); // the frame has some to drop
      expect(people(detection!)).toEqual(people(all).filter((o) => o.confidence >= 0.55));
      expect(detection!.objects.filter((o) => o.label !== 'person')).toEqual(
        all.objects.filter((o) => o.label !== 'person'),
      );
    } finally {
      await strict.dispose();
    }
  });

  it('spreads the frames of one call over the threads', async () => {
    const [first, second] = await pool.detect(frames.slice(6, 8).map((frame) => ({ jpeg: frame.jpeg })));
    report(
      `two frames at once: queue waits ${first!.timings!.queueMs!.toFixed(1)} and ${second!.timings!.queueMs!.toFixed(1)} ms`,
    );
    // One after the other, the second would wait at least as long as the first took in CenterNet.
    expect(second!.timings!.queueMs!).toBeLessThan(first!.timings!.objectsMs);
  });

  it('detects a frame once while its key is remembered, also across overlapping calls made at once', async () => {
    const keyed = frames.slice(0, 4).map((frame) => ({ jpeg: frame.jpeg, key: `frame-${frame.index}` }));
    const [a, b] = await Promise.all([pool.detect(keyed.slice(0, 3)), pool.detect(keyed.slice(1, 4))]);
    expect(b![0]).toBe(a![1]);
    expect(b![1]).toBe(a![2]);
    const again = await pool.detect(keyed);
    expect(again[0]).toBe(a![0]);
    expect(again[3]).toBe(b![2]);
    // Without a key a frame is always detected again.
    const [fresh] = await pool.detect([{ jpeg: keyed[0]!.jpeg }]);
    expect(fresh).not.toBe(a![0]);
    expect(seen(fresh!)).toEqual(seen(a![0]!));
  });

  it('fails only the call with a broken JPEG, and keeps working', async () => {
    const jpeg = frames[2]!.jpeg;
    const broken = jpeg.subarray(0, Math.floor(jpeg.length / 2));
    const results = await Promise.allSettled([
      pool.detect([{ jpeg: frames[0]!.jpeg }, { jpeg: frames[1]!.jpeg }]),
      pool.detect([{ jpeg: frames[3]!.jpeg }, { jpeg: broken, key: 'broken' }]),
      pool.detect([{ jpeg: frames[4]!.jpeg }]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/jpeg|premature|truncated|input/i);
    // The failure is not remembered: the key is tried again.
    await expect(pool.detect([{ jpeg: broken, key: 'broken' }])).rejects.toThrow();
    await expect(pool.detect([{ jpeg: Buffer.from('not a picture') }])).rejects.toThrow();
    expect(pool.threads).toHaveLength(THREADS);
    const [after] = await pool.detect([{ jpeg: frames[5]!.jpeg }]);
    expect(after!.objects.length).toBeGreaterThan(0);
  });

  it('leaves the event loop free while the threads detect a batch', async () => {
    const batch = frames.slice(0, 10).map((frame) => ({ jpeg: frame.jpeg }));
    const pooled = await loopDelayDuring(() => pool.detect(batch));
    const inline = await loopDelayDuring(async () => {
      for (const frame of batch.slice(0, 3)) await inThread.detect(frame.jpeg);
    });
    report(
      `event-loop delay while ${batch.length} frames are detected: pool p99 ${pooled.p99.toFixed(1)} ms ` +
        `(max ${pooled.max.toFixed(1)} ms); on this thread p99 ${inline.p99.toFixed(1)} ms (max ${inline.max.toFixed(1)} ms, 3 frames)`,
    );
    expect(pooled.result).toHaveLength(batch.length);
    // Typically under 50 ms; generous, so a busy machine cannot make it fail.
    expect(pooled.p99).toBeLessThan(200);
    // The measurement itself sees a blocked loop.
    expect(inline.p99).toBeGreaterThan(pooled.p99);
  });

  it('ends its threads on dispose(), after the frames already asked for', async () => {
    const threads: readonly Worker[] = pool.threads;
    expect(threads).toHaveLength(THREADS);
    const exits = threads.map((thread) => once(thread, 'exit'));
    const pending = pool.detect(frames.slice(0, 2).map((frame) => ({ jpeg: frame.jpeg })));
    await pool.dispose();
    await expect(pending).resolves.toHaveLength(2);
    await Promise.all(exits);
    expect(pool.threads).toHaveLength(0);
    for (const thread of threads) expect(thread.threadId).toBe(-1);
  });
});
