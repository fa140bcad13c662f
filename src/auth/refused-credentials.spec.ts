import { RefusedCredentials } from './refused-credentials';

describe('RefusedCredentials', () => {
  it('remembers a refused credential for its TTL only', () => {
    const refused = new RefusedCredentials(2_000);
    refused.add('a', 1_000);
    expect(refused.has('a', 1_000)).toBe(true);
    expect(refused.has('a', 2_999)).toBe(true);
    expect(refused.has('a', 3_000)).toBe(false);
    expect(refused.has('b', 1_000)).toBe(false);
    expect(refused.size).toBe(0);
  });

  it('remembers nothing with a TTL of 0', () => {
    const refused = new RefusedCredentials(0);
    refused.add('a', 1_000);
    expect(refused.has('a', 1_000)).toBe(false);
    expect(refused.size).toBe(0);
  });

  it('keeps at most maxEntries, forgetting the oldest first', () => {
    const refused = new RefusedCredentials(60_000, 3);
    for (const [i, digest] of ['a', 'b', 'c'].entries()) refused.add(digest, 1_000 + i);
    refused.add('a', 1_010); // refreshed: now the newest
    refused.add('d', 1_020);
    expect(refused.size).toBe(3);
    expect(['a', 'b', 'c', 'd'].map((digest) => refused.has(digest, 1_030))).toEqual([
      true,
      false,
      true,
      true,
    ]);
    for (let i = 0; i < 1_000; i += 1) refused.add(`flood-${i}`, 2_000);
    expect(refused.size).toBe(3);
  });
});
