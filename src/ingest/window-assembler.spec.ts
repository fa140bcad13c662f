import { KeptFrameRef, WindowAssembler } from './window-assembler';

const frame = (sequence: number): KeptFrameRef => ({
  id: `f${sequence}`,
  sequence,
  capturedAt: new Date(Date.UTC(2026, 10, 21, 12, 0, sequence)),
});

function feed(assembler: WindowAssembler, sequences: number[]) {
  return sequences.map((sequence) => assembler.add(frame(sequence))).filter((window) => window !== null);
}

describe('WindowAssembler', () => {
  it('makes the first window at W frames, then one every S frames, overlapping by W - S', () => {
    const windows = feed(
      new WindowAssembler(8, 4),
      Array.from({ length: 20 }, (_, i) => i),
    );
    expect(windows.map((w) => [w.index, w.frames.map((f) => f.sequence)])).toEqual([
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

  it('refuses frames out of order and bad settings', () => {
    const assembler = new WindowAssembler(2, 1);
    assembler.add(frame(3));
    expect(() => assembler.add(frame(3))).toThrow(RangeError);
    expect(() => new WindowAssembler(4, 5)).toThrow(RangeError);
    expect(() => new WindowAssembler(0, 1)).toThrow(RangeError);
  });
});
