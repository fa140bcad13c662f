import { nestedDeeperThan } from './json-depth';

const nestedArrays = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth));

describe('nestedDeeperThan', () => {
  it('counts objects and arrays, not scalars', () => {
    expect(nestedDeeperThan(7, 0)).toBe(false);
    expect(nestedDeeperThan({}, 0)).toBe(true);
    expect(nestedDeeperThan({ a: [1, { b: 'x' }] }, 3)).toBe(false);
    expect(nestedDeeperThan({ a: [1, { b: 'x' }] }, 2)).toBe(true);
  });

  it('judges exactly at the limit, on any branch', () => {
    expect(nestedDeeperThan(nestedArrays(64), 64)).toBe(false);
    expect(nestedDeeperThan(nestedArrays(65), 64)).toBe(true);
    expect(nestedDeeperThan({ shallow: 1, deep: nestedArrays(64) }, 64)).toBe(true);
  });

  it('judges a value nested far beyond what recursion could walk', () => {
    expect(nestedDeeperThan(nestedArrays(500_000), 64)).toBe(true);
  });
});
