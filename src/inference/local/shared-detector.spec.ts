import { LocalAnalyser } from './shared-detector';
import type { FrameDetection, LocalDetector } from './frame-detector';

function countingDetector(): LocalDetector & { calls: number; running: number; maxRunning: number } {
  const detector = {
    calls: 0,
    running: 0,
    maxRunning: 0,
    async detect(jpeg: Buffer): Promise<FrameDetection> {
      detector.calls += 1;
      detector.running += 1;
      detector.maxRunning = Math.max(detector.maxRunning, detector.running);
      await new Promise((resolve) => setTimeout(resolve, 2));
      detector.running -= 1;
      if (jpeg.length === 0) throw new Error('not an image');
      return { objects: [], nsfw: [], width: jpeg[0]!, height: 1 };
    },
    dispose: jest.fn(),
  };
  return detector;
}

describe('LocalAnalyser', () => {
  it('detects each frame once while it is remembered, in order', async () => {
    const detector = countingDetector();
    const analyser = new LocalAnalyser(async () => detector);
    const frames = [1, 2, 3, 4].map((n) => ({ jpeg: Buffer.from([n]), key: `f${n}` }));
    const first = await analyser.detect(frames);
    expect(first.map((d) => d.width)).toEqual([1, 2, 3, 4]);
    // The next window overlaps by two frames.
    const next = [...frames.slice(2), ...[5, 6].map((n) => ({ jpeg: Buffer.from([n]), key: `f${n}` }))];
    expect((await analyser.detect(next)).map((d) => d.width)).toEqual([3, 4, 5, 6]);
    expect(detector.calls).toBe(6);
    // Frames without a key are always detected.
    await analyser.detect([{ jpeg: Buffer.from([9]) }, { jpeg: Buffer.from([9]) }]);
    expect(detector.calls).toBe(8);
  });

  it('runs one detection at a time, loads once, and keeps going after a failure', async () => {
    const detector = countingDetector();
    const load = jest.fn(async () => detector);
    const analyser = new LocalAnalyser(load);
    const results = await Promise.allSettled([
      analyser.detect([{ jpeg: Buffer.from([1]) }, { jpeg: Buffer.from([2]) }]),
      analyser.detect([{ jpeg: Buffer.alloc(0) }]),
      analyser.detect([{ jpeg: Buffer.from([3]) }]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(detector.maxRunning).toBe(1);
    expect(load).toHaveBeenCalledTimes(1);
    await analyser.dispose();
    expect(detector.dispose).toHaveBeenCalledTimes(1);
  });
});
