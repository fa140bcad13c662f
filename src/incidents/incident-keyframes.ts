/*
 * An incident's keyframes: a bounded sample of its evidence, so an incident that lasts an hour
 * carries as many frames as one that lasts a minute. The first window gives up to FIRST_WINDOW
 * frames (how it began); each later window may give its middle frame, taken every `stride`-th
 * window, the stride doubling (and every other later frame dropped) whenever the later frames
 * would exceed LATER_FRAMES. The sample stays spread evenly over the incident, computed from the
 * firing count alone, so nothing else needs storing. (A first window of fewer than four frames
 * lends its place to later frames: the bound holds, the spread is a little less even.)
 */
export const FIRST_WINDOW_FRAMES = 4;
export const LATER_FRAMES = 8;
export const MAX_KEYFRAMES = FIRST_WINDOW_FRAMES + LATER_FRAMES;

/** The stride for later window number `later` (0 for the second firing). */
function strideFor(later: number): number {
  let stride = 1;
  while (later >= LATER_FRAMES * stride) stride *= 2;
  return stride;
}

/** Up to `count` frames spread evenly over `frames`, first and last included. */
export function spread<T>(frames: readonly T[], count: number): T[] {
  if (frames.length <= count) return [...frames];
  if (count <= 1) return frames.slice(0, count);
  const picked: T[] = [];
  for (let i = 0; i < count; i += 1)
    picked.push(frames[Math.round((i * (frames.length - 1)) / (count - 1))]!);
  return picked;
}

/**
 * The keyframes after firing number `firing` (1 for the incident's first) whose window holds
 * `windowFrames`, given the keyframes before it.
 */
export function nextKeyframes(
  current: readonly string[],
  firing: number,
  windowFrames: readonly string[],
): string[] {
  if (firing <= 1) return spread(windowFrames, FIRST_WINDOW_FRAMES);
  const first = current.slice(0, Math.min(FIRST_WINDOW_FRAMES, current.length));
  let later = current.slice(first.length);
  const index = firing - 2;
  const stride = strideFor(index);
  if (index % stride !== 0 || windowFrames.length === 0) return [...first, ...later];
  if (index > 0 && strideFor(index - 1) < stride) later = later.filter((_, position) => position % 2 === 0);
  const middle = windowFrames[Math.floor(windowFrames.length / 2)]!;
  if (first.includes(middle) || later.includes(middle)) return [...first, ...later];
  return [...first, ...later, middle];
}
