import { workerLimit } from './node-pool';

/**
 * Workers that poll a node at the same moments and then fill up to their limits: the node's
 * requests (running + waiting) after each round.
 */
function simulate(slots: number, workers: number, rounds: number): number[] {
  const outstanding = Array.from({ length: workers }, () => 0);
  let load: { running: number; waiting: number; kvCacheUsage: number } | null = null;
  const inNode: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const limits = outstanding.map((mine) => workerLimit(slots, load, mine));
    // Every worker has more windows than slots: each fills up to its limit.
    for (let i = 0; i < workers; i += 1) outstanding[i] = limits[i]!;
    const total = outstanding.reduce((sum, n) => sum + n, 0);
    load = { running: Math.min(total, slots), waiting: Math.max(0, total - slots), kvCacheUsage: 0 };
    inNode.push(total);
  }
  return inNode;
}

describe('workerLimit', () => {
  it('gives a worker alone on a node all its slots', () => {
    expect(workerLimit(16, null, 0)).toBe(16);
    expect(workerLimit(16, { running: 10, waiting: 0, kvCacheUsage: 0 }, 10)).toBe(16);
    // Its own requests still on the way to the node are not someone else's.
    expect(workerLimit(16, { running: 9, waiting: 0, kvCacheUsage: 0 }, 10)).toBe(16);
  });

  it('rounds a fraction of a slot up instead of losing the slot', () => {
    // Others hold 7.5 of 16 (the mean of before and after the read): this worker may keep 9.
    expect(workerLimit(16, { running: 16, waiting: 0, kvCacheUsage: 0 }, 8.5)).toBe(9);
  });

  it('keeps at least one request for a worker on a node others flood', () => {
    expect(workerLimit(4, { running: 4, waiting: 3, kvCacheUsage: 0 }, 0)).toBe(1);
  });

  it.each([
    [4, 2],
    [16, 2],
    [64, 2],
    [16, 4],
  ])(
    'lets %i-slot nodes shared by %i workers polling together settle full, without a deep queue',
    (slots, workers) => {
      const rounds = simulate(slots, workers, 12);
      // After a few polls every slot is taken and at most one request per worker waits.
      for (const total of rounds.slice(6)) {
        expect(total).toBeGreaterThanOrEqual(slots);
        expect(total).toBeLessThanOrEqual(slots + workers);
      }
    },
  );
});
