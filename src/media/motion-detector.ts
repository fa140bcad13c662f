import type { GrayPlane } from './ssim';

/** A region of a frame in fractions of it, 0..1, from its top left corner. */
export interface MotionBox {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Changed pixels inside the region, as a fraction of the whole frame. */
  area: number;
}

/**
 * What the detector remembers of a fixed camera's scene: a slowly updated background, the running
 * mean of past planes, in the plane's own size. Plain data, so a stream's state can be kept
 * between windows; after a restart the next frame simply becomes the background again.
 */
export interface MotionState {
  width: number;
  height: number;
  background: Float32Array;
}

export interface MotionOptions {
  /** A pixel differing from the background by more than this (0..255) has changed. */
  pixelThreshold: number;
  /** How much of each new plane flows into the background (0..1): lower keeps a stopped object "moving" longer. */
  backgroundAlpha: number;
  /** Regions smaller than this fraction of the frame are noise (leaves, compression). */
  minArea: number;
  /** When more than this fraction changed at once, the light or the camera changed, not the scene: start again. */
  globalChangeFraction: number;
  /** Changed pixels this close (in plane pixels) join one region. */
  joinDistance: number;
}

export const DEFAULT_MOTION_OPTIONS: MotionOptions = {
  pixelThreshold: 25,
  backgroundAlpha: 0.1,
  minArea: 0.002,
  globalChangeFraction: 0.6,
  joinDistance: 2,
};

export interface MotionStep {
  state: MotionState;
  /** Moving regions, largest first. */
  boxes: MotionBox[];
  /** Fraction of the frame that differs from the background. */
  changedFraction: number;
  /** True when there was no background yet (first frame, new size) or the whole picture changed. */
  reset: boolean;
}

function freshState(plane: GrayPlane): MotionState {
  return { width: plane.width, height: plane.height, background: Float32Array.from(plane.data) };
}

/**
 * Compares one grayscale plane (the one frame dedup already made) with the scene's background and
 * returns the regions that moved: pixels over the threshold, grown by `joinDistance` so the parts
 * of one walker join, split into connected regions, small ones dropped. Then blends the plane into
 * the background. Cheap (one pass over ~10k pixels plus a labelling pass), so it runs on every
 * frame and decides where the object detector needs to look.
 */
export function stepMotion(
  state: MotionState | null,
  plane: GrayPlane,
  options: MotionOptions = DEFAULT_MOTION_OPTIONS,
): MotionStep {
  if (!state || state.width !== plane.width || state.height !== plane.height) {
    return { state: freshState(plane), boxes: [], changedFraction: 0, reset: true };
  }
  const { width, height } = plane;
  const pixels = width * height;
  const changed = new Uint8Array(pixels);
  let changedCount = 0;
  for (let i = 0; i < pixels; i += 1) {
    if (Math.abs(plane.data[i]! - state.background[i]!) > options.pixelThreshold) {
      changed[i] = 1;
      changedCount += 1;
    }
  }
  const changedFraction = changedCount / pixels;
  if (changedFraction > options.globalChangeFraction) {
    return { state: freshState(plane), boxes: [], changedFraction, reset: true };
  }

  const background = new Float32Array(state.background);
  const alpha = options.backgroundAlpha;
  for (let i = 0; i < pixels; i += 1)
    background[i] = background[i]! + alpha * (plane.data[i]! - background[i]!);

  const boxes = changedCount === 0 ? [] : regionsOf(changed, width, height, options);
  return { state: { width, height, background }, boxes, changedFraction, reset: false };
}

/** Connected regions of changed pixels (grown by joinDistance), as boxes over the changed pixels only. */
function regionsOf(changed: Uint8Array, width: number, height: number, options: MotionOptions): MotionBox[] {
  const grown = dilate(changed, width, height, options.joinDistance);
  const label = new Int32Array(width * height).fill(-1);
  const boxes: MotionBox[] = [];
  const stack: number[] = [];
  for (let start = 0; start < grown.length; start += 1) {
    if (!grown[start] || label[start] !== -1) continue;
    const region = boxes.length;
    let [minX, minY, maxX, maxY, count] = [width, height, -1, -1, 0];
    label[start] = region;
    stack.push(start);
    while (stack.length) {
      const index = stack.pop()!;
      const x = index % width;
      const y = (index - x) / width;
      if (changed[index]) {
        // The box covers what changed, not the margin the dilation added.
        count += 1;
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
      }
      for (const [dx, dy] of NEIGHBOURS) {
        const nx = x + dx;
        const ny = y + dy;
        if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
        const next = ny * width + nx;
        if (grown[next] && label[next] === -1) {
          label[next] = region;
          stack.push(next);
        }
      }
    }
    boxes.push({
      x: minX / width,
      y: minY / height,
      width: (maxX - minX + 1) / width,
      height: (maxY - minY + 1) / height,
      area: count / (width * height),
    });
  }
  return boxes.filter((box) => box.area >= options.minArea).sort((a, b) => b.area - a.area);
}

const NEIGHBOURS: readonly (readonly [number, number])[] = [
  [1, 0],
  [-1, 0],
  [0, 1],
  [0, -1],
];

/** Square dilation by `radius` pixels (separable: rows, then columns). */
function dilate(mask: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  if (radius <= 0) return mask;
  const rows = new Uint8Array(mask.length);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      if (!mask[y * width + x]) continue;
      for (let nx = Math.max(0, x - radius); nx <= Math.min(width - 1, x + radius); nx += 1)
        rows[y * width + nx] = 1;
    }
  }
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      if (!rows[y * width + x]) continue;
      for (let ny = Math.max(0, y - radius); ny <= Math.min(height - 1, y + radius); ny += 1)
        out[ny * width + x] = 1;
    }
  }
  return out;
}
