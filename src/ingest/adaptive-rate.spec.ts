import { AdaptiveRate } from './adaptive-rate';

const at = (seconds: number) => new Date(Date.UTC(2026, 10, 21) + seconds * 1000);

describe('AdaptiveRate', () => {
  it('halves the rate down to its floor while the backlog is high, and doubles it back once drained', () => {
    const rate = new AdaptiveRate(4, 0.5, 100);
    expect(rate.adjust(10)).toBe(4);
    expect([rate.adjust(150), rate.adjust(150), rate.adjust(150), rate.adjust(150)]).toEqual([
      2, 1, 0.5, 0.5,
    ]);
    expect(rate.adjust(80)).toBe(0.5); // between half the bound and the bound: hold
    expect([rate.adjust(10), rate.adjust(10), rate.adjust(10), rate.adjust(10)]).toEqual([1, 2, 4, 4]);
  });

  it('admits every frame at full rate and about effectiveFps frames a second below it', () => {
    const rate = new AdaptiveRate(2, 0.25, 10);
    const frames = Array.from({ length: 20 }, (_, i) => at(i * 0.5)); // 10 s at 2 fps
    expect(frames.filter((f) => rate.admit(f))).toHaveLength(20);
    rate.adjust(50); // 1 fps
    const later = Array.from({ length: 20 }, (_, i) => at(10 + i * 0.5));
    expect(later.filter((f) => rate.admit(f))).toHaveLength(10);
  });

  it('never goes below its floor nor above the stream fps', () => {
    const rate = new AdaptiveRate(1, 2, 10);
    expect(rate.adjust(1_000)).toBe(1);
    expect(rate.adjust(0)).toBe(1);
  });
});
