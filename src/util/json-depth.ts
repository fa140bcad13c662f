/**
 * Whether a parsed JSON value nests objects and arrays deeper than `maxDepth` (a scalar is depth 0,
 * `[]` and `{}` depth 1). Iterative, so a value nested a million levels deep is judged without
 * recursion; stops at the first path past the limit.
 */
export function nestedDeeperThan(value: unknown, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth + 1 > maxDepth) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current))
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}
