/**
 * Frame dedup on real video: a synthetic static scene with scripted changes, and the real
 * fixed-camera video vtest.avi. Frames come from ffmpeg the way the sampler produces them (2 fps,
 * long side 448, sides multiples of 32, JPEG on a pipe); no database is involved.
 */
import {
  createJpegFrameDedup,
  type DedupDecision,
  type JpegFrameDedupOptions,
} from '../src/media/frame-dedup';
import {
  sampleFile,
  staticScene,
  vtestPath,
  type SampledFrame,
  type StaticScene,
} from './support/test-media';
import { computeFrameGeometry } from '../src/media/frame-geometry';

const FPS = 2;

interface Outcome {
  frame: SampledFrame;
  decision: DedupDecision;
}

async function dedupAll(frames: SampledFrame[], options: JpegFrameDedupOptions = {}): Promise<Outcome[]> {
  const dedup = createJpegFrameDedup(options);
  const outcomes: Outcome[] = [];
  for (const frame of frames)
    outcomes.push({ frame, decision: await dedup.decide(frame.jpeg, frame.seconds * 1000) });
  return outcomes;
}

function skipRatio(outcomes: Outcome[]): number {
  return outcomes.filter((o) => !o.decision.keep).length / outcomes.length;
}

function report(line: string): void {
  process.stdout.write(`[frame-dedup] ${line}\n`);
}

describe('the sampler pipeline the dedup tests run', () => {
  // The frames come from the sampler's own ffmpeg arguments, splitter and geometry (test-media.ts);
  // those have their own tests in src/media. This checks only that the sizes are the sampler's.
  it('gives the sampler size: long side 448, sides rounded down to multiples of 32', () => {
    expect(computeFrameGeometry({ width: 1920, height: 1080 })).toEqual({ width: 448, height: 224 });
    expect(computeFrameGeometry({ width: 768, height: 576 })).toEqual({ width: 448, height: 320 });
    expect(computeFrameGeometry({ width: 640, height: 360 })).toEqual({ width: 448, height: 224 });
    expect(computeFrameGeometry({ width: 1080, height: 1920 })).toEqual({ width: 224, height: 448 });
  });
});

describe('frame dedup on the static synthetic scene (2 fps, 448 px)', () => {
  let scene: StaticScene;
  let frames: SampledFrame[];
  let width: number;
  let height: number;

  beforeAll(async () => {
    scene = await staticScene();
    ({ frames, width, height } = await sampleFile(scene.path, { fps: FPS, longSide: 448 }));
  }, 120_000);

  it('samples the whole clip at the sampler size', () => {
    expect([width, height]).toEqual([448, 224]);
    expect(frames.length).toBeGreaterThanOrEqual(scene.durationSeconds * FPS - 1);
    expect(frames.length).toBeLessThanOrEqual(scene.durationSeconds * FPS + 1);
  });

  it('skips at least 90% of the frames and keeps every scripted change', async () => {
    const outcomes = await dedupAll(frames);
    const kept = outcomes.filter((o) => o.decision.keep);
    const ratio = skipRatio(outcomes);
    report(
      `static scene: ${frames.length} frames, ${kept.length} kept at ` +
        kept.map((o) => `${o.frame.seconds}s (${o.decision.reason})`).join(', ') +
        `; skip ratio ${(ratio * 100).toFixed(1)}%`,
    );
    expect(ratio).toBeGreaterThanOrEqual(0.9);
    for (const change of scene.changes) {
      const keptAfter = kept.find(
        (o) => o.frame.seconds >= change.atSeconds && o.frame.seconds <= change.atSeconds + 1,
      );
      if (!keptAfter) throw new Error(`no frame kept within 1 s after ${change.atSeconds}s (${change.what})`);
      expect(keptAfter.decision.reason).toBe('changed');
    }
    // Kept frames carry how much was skipped before them, and the counts add up.
    const skipped = kept.reduce((sum, o) => sum + o.decision.skippedSinceLastKept, 0);
    const last = outcomes[outcomes.length - 1]!.decision;
    const trailing = last.keep ? 0 : last.skippedSinceLastKept;
    expect(skipped + trailing).toBe(outcomes.length - kept.length);
  });

  it('keeps no frame in the static stretches except the first', async () => {
    const outcomes = await dedupAll(frames);
    const changeTimes = scene.changes.map((c) => c.atSeconds);
    const unexplained = outcomes.filter(
      (o) =>
        o.decision.keep &&
        o.decision.reason !== 'first' &&
        !changeTimes.some((t) => o.frame.seconds >= t && o.frame.seconds <= t + 1),
    );
    expect(unexplained.map((o) => o.frame.seconds)).toEqual([]);
  });

  it('keeps a heartbeat frame at least every K seconds when nothing changes', async () => {
    const K = 5;
    const outcomes = await dedupAll(frames, { keepAtLeastEverySeconds: K });
    const keptAt = outcomes.filter((o) => o.decision.keep).map((o) => o.frame.seconds);
    for (let i = 1; i < keptAt.length; i++) expect(keptAt[i]! - keptAt[i - 1]!).toBeLessThanOrEqual(K);
    const last = frames[frames.length - 1]!.seconds;
    expect(last - keptAt[keptAt.length - 1]!).toBeLessThan(K);
    expect(outcomes.filter((o) => o.decision.reason === 'heartbeat').length).toBeGreaterThanOrEqual(3);
    // The scripted changes are still kept as changes, not left to the heartbeat.
    for (const change of scene.changes) {
      expect(
        outcomes.some(
          (o) =>
            o.decision.reason === 'changed' &&
            o.frame.seconds >= change.atSeconds &&
            o.frame.seconds <= change.atSeconds + 1,
        ),
      ).toBe(true);
    }
  });
});

const vtest = vtestPath();
const describeVtest = vtest ? describe : describe.skip;
const vtestTitle = vtest
  ? 'frame dedup on vtest.avi (real fixed camera, people walking)'
  : 'frame dedup on vtest.avi: SKIPPED, test/.media/vtest.avi is missing (run bash scripts/fetch-test-media.sh)';

describeVtest(vtestTitle, () => {
  let frames: SampledFrame[];

  beforeAll(async () => {
    ({ frames } = await sampleFile(vtest!, { fps: FPS, longSide: 448 }));
  }, 120_000);

  it('keeps frames while people walk (skip ratio below 90%) and reports the ratio', async () => {
    const outcomes = await dedupAll(frames);
    const ratio = skipRatio(outcomes);
    const kept = outcomes.filter((o) => o.decision.keep).length;
    report(
      `vtest.avi: ${frames.length} frames, ${kept} kept, skip ratio ${(ratio * 100).toFixed(1)}% at 0.95`,
    );
    expect(frames.length).toBeGreaterThan(150); // 79.5 s at 2 fps
    expect(ratio).toBeLessThan(0.9);
    // Walking people keep producing frames all through the video, not only at its start.
    const lastKept = outcomes.filter((o) => o.decision.keep && o.frame.seconds > 60);
    expect(lastKept.length).toBeGreaterThan(0);
  });
});
