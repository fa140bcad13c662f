import { MAX_KEYFRAMES, nextKeyframes, spread } from './incident-keyframes';

const windowOf = (n: number): string[] => Array.from({ length: 8 }, (_, i) => `w${n}f${i}`);

describe('incident keyframes', () => {
  it('take up to four frames of the first window, its first and last included', () => {
    expect(nextKeyframes([], 1, windowOf(1))).toEqual(['w1f0', 'w1f2', 'w1f5', 'w1f7']);
    expect(nextKeyframes([], 1, ['a', 'b'])).toEqual(['a', 'b']);
  });

  it('stay bounded and spread evenly however many windows fire', () => {
    let frames: string[] = [];
    for (let firing = 1; firing <= 1000; firing += 1) {
      frames = nextKeyframes(frames, firing, windowOf(firing));
      expect(frames.length).toBeLessThanOrEqual(MAX_KEYFRAMES);
    }
    const laterWindows = frames.slice(4).map((frame) => Number(/^w(\d+)/.exec(frame)![1]));
    // The later frames come from windows far apart, in order, from early on to late in the incident.
    expect(laterWindows).toEqual([...laterWindows].sort((a, b) => a - b));
    expect(laterWindows[0]).toBe(2);
    expect(laterWindows.at(-1)!).toBeGreaterThan(500);
    expect(laterWindows.length).toBeGreaterThanOrEqual(4);
    const gaps = laterWindows.slice(1).map((window, i) => window - laterWindows[i]!);
    expect(new Set(gaps).size).toBe(1);
  });

  it('keep a window that adds nothing new unchanged', () => {
    const first = nextKeyframes([], 1, ['a', 'b', 'c']);
    expect(nextKeyframes(first, 2, ['b', 'c', 'd'])).toEqual(['a', 'b', 'c']);
    expect(nextKeyframes(first, 2, [])).toEqual(first);
  });

  it('spread picks evenly', () => {
    expect(spread([1, 2, 3, 4, 5, 6, 7, 8, 9], 3)).toEqual([1, 5, 9]);
    expect(spread([1, 2], 5)).toEqual([1, 2]);
  });
});
