import { FrameDedup, type DedupDecision } from './frame-dedup';
import { ssim, type GrayPlane } from './ssim';

// The policy is tested on planes built in memory: the "frame" is the plane itself, or a label that
// a table turns into one, so no image decoding is involved.

function plane(width: number, height: number, pixel: (x: number, y: number) => number): GrayPlane {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data[y * width + x] = Math.max(0, Math.min(255, Math.round(pixel(x, y))));
  }
  return { data, width, height };
}

const W = 64;
const H = 48;
const background = plane(W, H, (x, y) => 128 + 60 * Math.sin(x / 3) * Math.cos(y / 4));
const other = plane(W, H, (x, y) => 128 + 60 * Math.cos(x / 2 + 1) * Math.sin(y / 3 + 2));
/** A slight, structure-preserving change: a static scene seen twice. */
const jittered = plane(W, H, (x, y) => background.data[y * W + x]! + ((x * 7 + y * 3) % 3) - 1);
/** `background` with a fraction `k` of the `other` texture blended in everywhere. */
const blend = (k: number): GrayPlane =>
  plane(W, H, (x, y) => (1 - k) * background.data[y * W + x]! + k * other.data[y * W + x]!);

const identity = (p: GrayPlane): GrayPlane => p;

async function run(dedup: FrameDedup<GrayPlane>, frames: [GrayPlane, number][]): Promise<DedupDecision[]> {
  const decisions: DedupDecision[] = [];
  for (const [frame, seconds] of frames) decisions.push(await dedup.decide(frame, seconds * 1000));
  return decisions;
}

describe('FrameDedup', () => {
  it('keeps the first frame, with nothing to compare it with', async () => {
    const dedup = new FrameDedup(identity);
    await expect(dedup.decide(background, 0)).resolves.toEqual({
      keep: true,
      ssim: null,
      reason: 'first',
      skippedSinceLastKept: 0,
    });
  });

  it('skips near-duplicates, counting them, and keeps a changed frame with the count before it', async () => {
    const dedup = new FrameDedup(identity);
    const decisions = await run(dedup, [
      [background, 0],
      [jittered, 0.5],
      [background, 1],
      [jittered, 1.5],
      [other, 2],
      [other, 2.5],
    ]);
    expect(decisions.map((d) => [d.keep, d.reason, d.skippedSinceLastKept])).toEqual([
      [true, 'first', 0],
      [false, 'duplicate', 1],
      [false, 'duplicate', 2],
      [false, 'duplicate', 3],
      [true, 'changed', 3],
      [false, 'duplicate', 1],
    ]);
    expect(decisions[1]!.ssim).toBeGreaterThan(0.95);
    expect(decisions[4]!.ssim).toBeLessThan(0.95);
    expect(dedup.counters).toEqual({ kept: 2, skipped: 4 });
  });

  it('compares with the last kept frame, so a slow drift is kept once it adds up', async () => {
    const dedup = new FrameDedup(identity);
    const frames: [GrayPlane, number][] = [];
    for (let step = 0; step <= 20; step++) frames.push([blend(step * 0.02), step * 0.5]);
    const decisions = await run(dedup, frames);
    // Each step on its own is a near-duplicate of the one before it...
    for (let step = 1; step <= 20; step++) {
      expect(ssim(blend((step - 1) * 0.02), blend(step * 0.02), { stride: 4 })).toBeGreaterThan(0.95);
    }
    // ...but against the last kept frame the drift crosses the threshold.
    const changed = decisions.filter((d) => d.reason === 'changed');
    expect(changed.length).toBeGreaterThanOrEqual(1);
    expect(changed[0]!.skippedSinceLastKept).toBeGreaterThan(0);
    expect(changed[0]!.ssim).toBeLessThan(0.95);
  });

  it('keeps a heartbeat frame once keepAtLeastEverySeconds passed since the last kept frame', async () => {
    const dedup = new FrameDedup(identity, { keepAtLeastEverySeconds: 5 });
    const frames: [GrayPlane, number][] = [];
    for (let t = 0; t <= 12; t += 0.5) frames.push([t % 1 ? jittered : background, t]);
    const decisions = await run(dedup, frames);
    const kept = decisions.flatMap((d, i) =>
      d.keep ? [[frames[i]![1], d.reason, d.skippedSinceLastKept]] : [],
    );
    expect(kept).toEqual([
      [0, 'first', 0],
      [5, 'heartbeat', 9],
      [10, 'heartbeat', 9],
    ]);
    // A heartbeat frame still reports how similar it was.
    expect(decisions[10]!.ssim).toBeGreaterThan(0.95);
  });

  it('measures the heartbeat from the last kept frame, whatever kept it', async () => {
    const dedup = new FrameDedup(identity, { keepAtLeastEverySeconds: 5 });
    const decisions = await run(dedup, [
      [background, 0],
      [other, 3], // changed: the heartbeat clock restarts here
      [other, 5],
      [other, 7.5],
      [other, 8],
    ]);
    expect(decisions.map((d) => d.reason)).toEqual([
      'first',
      'changed',
      'duplicate',
      'duplicate',
      'heartbeat',
    ]);
  });

  it('keeps only frames strictly below the threshold', async () => {
    // With threshold 1 only an identical frame (SSIM exactly 1) is a duplicate.
    const dedup = new FrameDedup(identity, { threshold: 1 });
    const decisions = await run(dedup, [
      [background, 0],
      [background, 1],
      [jittered, 2],
    ]);
    expect(decisions.map((d) => d.reason)).toEqual(['first', 'duplicate', 'changed']);
    expect(decisions[1]!.ssim).toBe(1);
  });

  it('treats a change of frame size as a change and compares later frames with the new size', async () => {
    const dedup = new FrameDedup(identity);
    const small = plane(32, 24, (x, y) => background.data[y * W + x]!);
    const decisions = await run(dedup, [
      [background, 0],
      [small, 1],
      [small, 2],
    ]);
    expect(decisions.map((d) => [d.reason, d.ssim])).toEqual([
      ['first', null],
      ['changed', null],
      ['duplicate', 1],
    ]);
  });

  it('keeps a frame whose capture time runs backwards (a restarted source clock)', async () => {
    const dedup = new FrameDedup(identity, { keepAtLeastEverySeconds: 60 });
    const decisions = await run(dedup, [
      [background, 100],
      [background, 101],
      [background, 2],
      [background, 3],
    ]);
    expect(decisions.map((d) => d.reason)).toEqual(['first', 'duplicate', 'heartbeat', 'duplicate']);
  });

  it('accepts Date capture times and refuses invalid ones', async () => {
    const dedup = new FrameDedup(identity, { keepAtLeastEverySeconds: 60 });
    await dedup.decide(background, new Date('2026-01-01T00:00:00Z'));
    await expect(dedup.decide(background, new Date('2026-01-01T00:00:30Z'))).resolves.toMatchObject({
      reason: 'duplicate',
    });
    await expect(dedup.decide(background, new Date('2026-01-01T00:01:00Z'))).resolves.toMatchObject({
      reason: 'heartbeat',
    });
    await expect(dedup.decide(background, new Date('not a date'))).rejects.toThrow(RangeError);
    await expect(dedup.decide(background, Number.NaN)).rejects.toThrow(RangeError);
  });

  it('decides in call order even when planes resolve out of order', async () => {
    // The slower the plane, the earlier the frame: without queueing, frame 2 would become the
    // reference before frame 0 was even decoded.
    const delays = new Map<string, number>([
      ['a', 30],
      ['a2', 20],
      ['b', 10],
      ['b2', 0],
    ]);
    const planes = new Map<string, GrayPlane>([
      ['a', background],
      ['a2', jittered],
      ['b', other],
      ['b2', other],
    ]);
    const dedup = new FrameDedup<string>(
      (label) => new Promise((resolve) => setTimeout(() => resolve(planes.get(label)!), delays.get(label))),
    );
    const decisions = await Promise.all(
      ['a', 'a2', 'b', 'b2'].map((label, i) => dedup.decide(label, i * 500)),
    );
    expect(decisions.map((d) => d.reason)).toEqual(['first', 'duplicate', 'changed', 'duplicate']);
  });

  it('rejects a frame whose plane cannot be made, and carries on with the same reference', async () => {
    const dedup = new FrameDedup<GrayPlane | null>((frame) => {
      if (!frame) throw new Error('corrupt JPEG');
      return frame;
    });
    await dedup.decide(background, 0);
    await expect(dedup.decide(null, 500)).rejects.toThrow('corrupt JPEG');
    await expect(dedup.decide(jittered, 1000)).resolves.toMatchObject({
      reason: 'duplicate',
      skippedSinceLastKept: 1,
    });
    expect(dedup.counters).toEqual({ kept: 1, skipped: 1 });
  });

  it('starts over after reset()', async () => {
    const dedup = new FrameDedup(identity);
    await run(dedup, [
      [background, 0],
      [background, 1],
    ]);
    dedup.reset();
    await expect(dedup.decide(background, 2000)).resolves.toMatchObject({
      keep: true,
      reason: 'first',
      skippedSinceLastKept: 0,
    });
    expect(dedup.counters).toEqual({ kept: 2, skipped: 1 });
  });

  it('validates its options', () => {
    expect(() => new FrameDedup(identity, { threshold: 0 })).toThrow(RangeError);
    expect(() => new FrameDedup(identity, { threshold: 1.01 })).toThrow(RangeError);
    expect(() => new FrameDedup(identity, { threshold: Number.NaN })).toThrow(RangeError);
    expect(() => new FrameDedup(identity, { keepAtLeastEverySeconds: 0 })).toThrow(RangeError);
    expect(() => new FrameDedup(identity, { keepAtLeastEverySeconds: -1 })).toThrow(RangeError);
    expect(() => new FrameDedup(identity, { ssimStride: 3 })).toThrow(RangeError);
    expect(() => new FrameDedup(identity, { keepAtLeastEverySeconds: Infinity })).not.toThrow();
  });

  it('can pool with worst-region for small objects', async () => {
    const small = plane(W, H, (x, y) =>
      x >= 40 && x < 48 && y >= 8 && y < 16 ? ((x + y) % 2 ? 250 : 5) : background.data[y * W + x]!,
    );
    const mean = await run(new FrameDedup(identity), [
      [background, 0],
      [small, 1],
    ]);
    const worst = await run(new FrameDedup(identity, { pooling: 'worst-region' }), [
      [background, 0],
      [small, 1],
    ]);
    expect(mean[1]!.reason).toBe('duplicate');
    expect(worst[1]!.reason).toBe('changed');
  });
});
