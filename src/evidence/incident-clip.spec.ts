import { clipIsCurrent, evenSample } from './incident-clip';

describe('incident clips', () => {
  it('samples long incidents evenly, first and last frame kept', () => {
    expect(evenSample(5, 10)).toEqual([0, 1, 2, 3, 4]);
    expect(evenSample(10, 4)).toEqual([0, 3, 6, 9]);
    const sampled = evenSample(7200, 1800);
    expect(sampled).toHaveLength(1800);
    expect(new Set(sampled).size).toBe(1800);
    expect([sampled[0], sampled.at(-1)]).toEqual([0, 7199]);
  });

  it('a clip is current while the incident has no more firings than it was built from', () => {
    const built = {
      id: 'i',
      tenantId: 't',
      clipStorageKey: 'k',
      clipSha256: 'h',
      clipBytes: 1,
      clipFrames: 1,
      clipBuiltAt: new Date(),
      clipFirings: 3,
    };
    expect(clipIsCurrent({ ...built, firings: 3 })).toBe(true);
    expect(clipIsCurrent({ ...built, firings: 4 })).toBe(false);
    expect(clipIsCurrent({ ...built, firings: 1, clipStorageKey: null })).toBe(false);
  });
});
