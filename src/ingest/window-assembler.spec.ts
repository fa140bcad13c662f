import { KeptFrameRef, maxKeptFrameGapMs, WindowAssembler, WindowSpec } from './window-assembler';

const frame = (sequence: number, second = sequence): KeptFrameRef => ({
  id: `f${sequence}`,
  sequence,
  capturedAt: new Date(Date.UTC(2026, 10, 21, 12, 0, second)),
});

function feed(assembler: WindowAssembler, sequences: number[]) {
  return sequences.flatMap((sequence) => assembler.add(frame(sequence)));
}

const sequencesOf = (windows: WindowSpec[]) => windows.map((w) => [w.index, w.frames.map((f) => f.sequence)]);

describe('WindowAssembler', () => {
  it('makes the first window at W frames, then one every S frames, overlapping by W - S', () => {
    const windows = feed(
      new WindowAssembler(8, 4),
      Array.from({ length: 20 }, (_, i) => i),
    );
    expect(sequencesOf(windows)).toEqual([
      [0, [0, 1, 2, 3, 4, 5, 6, 7]],
      [1, [4, 5, 6, 7, 8, 9, 10, 11]],
      [2, [8, 9, 10, 11, 12, 13, 14, 15]],
      [3, [12, 13, 14, 15, 16, 17, 18, 19]],
    ]);
    expect(windows[1]!.startAt).toEqual(frame(4).capturedAt);
    expect(windows[1]!.endAt).toEqual(frame(11).capturedAt);
  });

  it('handles gaps in sequence numbers (skipped near-duplicates) and stride = size', () => {
    const windows = feed(new WindowAssembler(3, 3), [0, 5, 9, 10, 30, 31, 32]);
    expect(windows.map((w) => w.frames.map((f) => f.sequence))).toEqual([
      [0, 5, 9],
      [10, 30, 31],
    ]);
  });

  it('makes no window from fewer than W frames', () => {
    expect(feed(new WindowAssembler(8, 4), [0, 1, 2, 3, 4, 5, 6])).toEqual([]);
  });

  it('resumes from a snapshot exactly where it stopped: no duplicated and no missing window', () => {
    const whole = feed(
      new WindowAssembler(4, 2),
      Array.from({ length: 13 }, (_, i) => i),
    );
    const first = new WindowAssembler(4, 2);
    const before = feed(first, [0, 1, 2, 3, 4, 5, 6]);
    const resumed = new WindowAssembler(4, 2, first.snapshot());
    const after = feed(resumed, [7, 8, 9, 10, 11, 12]);
    expect([...before, ...after]).toEqual(whole);
  });

  it('never puts frames from both sides of a gap in one window: the last frames before it go out as one more window', () => {
    const assembler = new WindowAssembler(4, 2, undefined, { maxGapMs: 10_000 });
    // Frames 0-6 a second apart, then 14 minutes of nothing, then frames 7-12.
    const before = [0, 1, 2, 3, 4, 5, 6].flatMap((s) => assembler.add(frame(s)));
    const after = [7, 8, 9, 10, 11, 12].flatMap((s) => assembler.add(frame(s, 840 + s)));
    expect(sequencesOf([...before, ...after])).toEqual([
      [0, [0, 1, 2, 3]],
      [1, [2, 3, 4, 5]],
      // Frame 6 was in no window yet: it is analysed with the frames before it, not with frame 7.
      [2, [3, 4, 5, 6]],
      [3, [7, 8, 9, 10]],
      [4, [9, 10, 11, 12]],
    ]);
    for (const window of [...before, ...after]) {
      const times = window.frames.map((f) => f.capturedAt.getTime());
      for (let i = 1; i < times.length; i += 1) expect(times[i]! - times[i - 1]!).toBeLessThanOrEqual(10_000);
    }
  });

  it('emits nothing extra at a gap when every frame before it is already in a window, and a short first window', () => {
    const covered = new WindowAssembler(2, 2, undefined, { maxGapMs: 10_000 });
    const windows = [
      ...[0, 1].flatMap((s) => covered.add(frame(s))),
      ...[2, 3].flatMap((s) => covered.add(frame(s, 100 + s))),
    ];
    expect(sequencesOf(windows)).toEqual([
      [0, [0, 1]],
      [1, [2, 3]],
    ]);
    const early = new WindowAssembler(4, 2, undefined, { maxGapMs: 10_000 });
    early.add(frame(0));
    expect(sequencesOf(early.add(frame(1, 500)))).toEqual([[0, [0]]]);
  });

  it('breaks where the caller declares one (a restart), and a reloaded state never reaches back past a run start', () => {
    const first = new WindowAssembler(4, 2);
    feed(first, [0, 1, 2, 3, 4]); // window [0..3], frame 4 pending
    expect(sequencesOf([first.closeRun()!])).toEqual([[1, [1, 2, 3, 4]]]);
    expect(first.closeRun()).toBeNull(); // idempotent
    expect(first.breaksBefore(frame(5).capturedAt)).toBe(true);
    expect(first.add(frame(5))).toEqual([]);
    expect(first.snapshot().recent[0]!.startsRun).toBe(true);
    // A reload from the database: the last W frames, the run start among them.
    const stored = [frame(2), frame(3), frame(4), { ...frame(5), startsRun: true }];
    const reloaded = new WindowAssembler(4, 2, { recent: stored, nextIndex: 2, sinceLastWindow: 1 });
    expect(sequencesOf(feed(reloaded, [6, 7, 8]))).toEqual([[2, [5, 6, 7, 8]]]);
  });

  it('bounds the gap by the dedup heartbeat plus three intervals at the slowest rate', () => {
    expect(maxKeptFrameGapMs(2, 0.2, 60)).toBe(75_000);
    expect(maxKeptFrameGapMs(0.1, 0.2, 60)).toBe(90_000);
  });

  it('refuses frames out of order and bad settings', () => {
    const assembler = new WindowAssembler(2, 1);
    assembler.add(frame(3));
    expect(() => assembler.add(frame(3))).toThrow(RangeError);
    expect(() => new WindowAssembler(4, 5)).toThrow(RangeError);
    expect(() => new WindowAssembler(0, 1)).toThrow(RangeError);
    expect(() => new WindowAssembler(2, 1, undefined, { maxGapMs: 0 })).toThrow(RangeError);
  });
});
