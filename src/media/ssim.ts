/**
 * Structural similarity (SSIM, Wang et al. 2004) between two grayscale planes, computed on 8x8
 * blocks and averaged: the measure frame dedup uses to decide whether a frame shows anything the
 * last kept frame did not.
 *
 * Block-based rather than the reference 11x11 Gaussian window: dedup needs a cheap, monotone "how
 * much of the picture changed", not a perceptual quality score, and plain 8x8 sums over a Uint8Array
 * cost well under a millisecond on a 448 px plane (the 11x11 Gaussian version in ssim.js takes
 * 40-65 ms on 448x448 RGBA here). Pure TypeScript, no dependencies.
 */

/** A single-channel 8-bit image, row-major, `width * height` bytes. */
export interface GrayPlane {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/**
 * How block scores become one number.
 * - `mean` (the default): the mean over all blocks, the classic block-SSIM. An area measure: the
 *   score falls by roughly (changed fraction of the picture) x (1 - SSIM of a changed block), so an
 *   object must cover a few percent of the frame before the score drops under 0.95.
 * - `worst-region`: the plane is cut into `regions` x `regions` areas, each scored by the mean of
 *   its blocks, and the lowest area score is returned. Global noise lowers every area alike, but a
 *   small object now counts against one area instead of the whole frame, so it is noticed at about
 *   a `regions`^2-th of the size (see bench/ingest-media.bench.ts for measured figures).
 */
export type SsimPooling = 'mean' | 'worst-region';

export interface SsimOptions {
  /**
   * Distance in pixels between the origins of neighbouring blocks: 8 (the default) tiles the plane
   * with non-overlapping blocks; 4 makes them overlap by half, which makes the score less dependent
   * on where an edge falls relative to the block grid. One of 2, 4, 8.
   */
  readonly stride?: number;
  /** Default `mean`. */
  readonly pooling?: SsimPooling;
  /** Areas per side for `worst-region` pooling; default 4 (16 areas). */
  readonly regions?: number;
}

/** Side of the square block SSIM is computed on. */
export const SSIM_BLOCK_SIZE = 8;

const BLOCK_PIXELS = SSIM_BLOCK_SIZE * SSIM_BLOCK_SIZE;
// The standard stabilising constants for 8-bit data: C1 = (K1 L)^2, C2 = (K2 L)^2 with K1 = 0.01,
// K2 = 0.03, L = 255. They keep flat blocks (variance ~0) from dividing by ~0, which is also why a
// flat block under mild sensor noise still scores ~1.
const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;
// The formula below works on raw sums instead of means: every term is scaled by N^2 (N = pixels
// per block), so the constants are too, and the scale cancels in the ratio.
const C1_SCALED = C1 * BLOCK_PIXELS * BLOCK_PIXELS;
const C2_SCALED = C2 * BLOCK_PIXELS * BLOCK_PIXELS;

export class SsimSizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SsimSizeError';
  }
}

/**
 * SSIM of two planes of the same size from their 8x8 blocks, pooled as `options.pooling` says (the
 * mean over all blocks by default): 1 for identical planes, close to 1 for the same scene under mild
 * noise, lower as more of the picture changes, and below 0 for anti-correlated content (a plane and
 * its negative). Symmetric in its arguments.
 *
 * Blocks start every `stride` pixels; when the plane's side is not a multiple of the stride, one
 * more block aligned with the right (bottom) edge is added so the last few columns (rows) are
 * covered too: an object entering at the very edge of the picture must count.
 *
 * Throws SsimSizeError when the planes differ in size, are smaller than one block, or their data
 * does not match their dimensions.
 */
export function ssim(a: GrayPlane, b: GrayPlane, options: SsimOptions = {}): number {
  checkPlane(a, 'first');
  checkPlane(b, 'second');
  if (a.width !== b.width || a.height !== b.height) {
    throw new SsimSizeError(`planes differ in size: ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  }
  const stride = options.stride ?? SSIM_BLOCK_SIZE;
  if (!STRIDES.includes(stride)) {
    throw new RangeError(`stride must be one of ${STRIDES.join(', ')}, got ${stride}`);
  }
  const pooling = options.pooling ?? 'mean';
  const regions = options.regions ?? 4;
  if (!Number.isInteger(regions) || regions < 1) {
    throw new RangeError(`regions must be a positive integer, got ${regions}`);
  }
  const scores = blockScores(a.data, b.data, a.width, a.height, stride);
  return pooling === 'mean' ? meanOf(scores.values) : worstRegion(scores, a.width, a.height, regions);
}

interface BlockScores {
  /** SSIM of every block, row by row. */
  values: Float64Array;
  /** Left (top) pixel of each block column (row). */
  xs: Int32Array;
  ys: Int32Array;
}

function blockScores(
  pa: Uint8Array,
  pb: Uint8Array,
  width: number,
  height: number,
  stride: number,
): BlockScores {
  // Sum each statistic once per stride x stride cell, then build every block from its cells: each
  // pixel is read once whatever the overlap, so stride 4 (four times the blocks) costs less than
  // twice what stride 8 does.
  const cellsAcross = Math.floor(width / stride);
  const cellsDown = Math.floor(height / stride);
  const cells = cellSums(pa, pb, width, stride, cellsAcross, cellsDown);
  const span = SSIM_BLOCK_SIZE / stride;
  const regularAcross = cellsAcross - span + 1;
  const regularDown = cellsDown - span + 1;
  // One more column (row) of blocks flush with the right (bottom) edge when the regular grid stops
  // short of it.
  const xs = origins(regularAcross, stride, width - SSIM_BLOCK_SIZE);
  const ys = origins(regularDown, stride, height - SSIM_BLOCK_SIZE);
  const columns = xs.length;
  const values = scoreScratch(columns * ys.length);

  const { packed: cellPacked, saa: cellSaa, sbb: cellSbb, sab: cellSab } = cells;
  for (let by = 0; by < regularDown; by++) {
    for (let bx = 0; bx < regularAcross; bx++) {
      let sa = 0;
      let sb = 0;
      let saa = 0;
      let sbb = 0;
      let sab = 0;
      for (let cy = by; cy < by + span; cy++) {
        for (let c = cy * cellsAcross + bx, end = c + span; c < end; c++) {
          const packed = cellPacked[c]!;
          sa += packed & 0xffff;
          sb += packed >>> 16;
          saa += cellSaa[c]!;
          sbb += cellSbb[c]!;
          sab += cellSab[c]!;
        }
      }
      values[by * columns + bx] = blockSsim(sa, sb, saa, sbb, sab);
    }
  }
  // The edge column and row (a few dozen blocks at most) are summed directly.
  for (let by = 0; by < ys.length; by++) {
    for (let bx = by < regularDown ? regularAcross : 0; bx < columns; bx++) {
      values[by * columns + bx] = directBlockSsim(pa, pb, width, xs[bx]!, ys[by]!);
    }
  }
  return { values, xs, ys };
}

let scores: Float64Array | undefined;

/** A view of `n` doubles over a buffer kept between calls (see scratchFor). */
function scoreScratch(n: number): Float64Array {
  if (!scores || scores.length < n) scores = new Float64Array(n);
  return scores.subarray(0, n);
}

function origins(regular: number, stride: number, last: number): Int32Array {
  const needsEdge = (regular - 1) * stride !== last;
  const result = new Int32Array(regular + (needsEdge ? 1 : 0));
  for (let k = 0; k < regular; k++) result[k] = k * stride;
  if (needsEdge) result[regular] = last;
  return result;
}

function meanOf(values: Float64Array): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i]!;
  return total / values.length;
}

/** Lowest mean block score among regions x regions areas; a block belongs to the area of its centre. */
function worstRegion(scores: BlockScores, width: number, height: number, regions: number): number {
  const { values, xs, ys } = scores;
  const sums = new Float64Array(regions * regions);
  const counts = new Int32Array(regions * regions);
  const half = SSIM_BLOCK_SIZE / 2;
  for (let by = 0; by < ys.length; by++) {
    const ry = Math.min(regions - 1, Math.floor(((ys[by]! + half) * regions) / height));
    for (let bx = 0; bx < xs.length; bx++) {
      const rx = Math.min(regions - 1, Math.floor(((xs[bx]! + half) * regions) / width));
      sums[ry * regions + rx]! += values[by * xs.length + bx]!;
      counts[ry * regions + rx]! += 1;
    }
  }
  let worst = Infinity;
  for (let r = 0; r < sums.length; r++) {
    // A plane narrower than regions x 8 px leaves some areas without a block centre.
    if (counts[r]! > 0) worst = Math.min(worst, sums[r]! / counts[r]!);
  }
  return worst;
}

// Strides whose cells tile a block exactly, and even, because the summing loop takes two pixels at
// a time.
const STRIDES: readonly number[] = [2, 4, 8];

interface CellSums {
  /** Sum of a in the low 16 bits, sum of b in the high bits (see cellSums). */
  packed: Int32Array;
  saa: Int32Array;
  sbb: Int32Array;
  sab: Int32Array;
}

// Reused between calls (dedup compares planes of one size over and over): allocating the typed
// arrays for every comparison cost about as much as the arithmetic.
let scratch: CellSums | undefined;

function scratchFor(n: number): CellSums {
  if (!scratch || scratch.packed.length < n) {
    scratch = {
      packed: new Int32Array(n),
      saa: new Int32Array(n),
      sbb: new Int32Array(n),
      sab: new Int32Array(n),
    };
  } else {
    scratch.packed.fill(0, 0, n);
    scratch.saa.fill(0, 0, n);
    scratch.sbb.fill(0, 0, n);
    scratch.sab.fill(0, 0, n);
  }
  return scratch;
}

/**
 * The five sums of every side x side cell (side even). This loop is the whole cost of SSIM, so it
 * is written for V8: two pixels per iteration, and the two plain sums packed into one int32 (a cell
 * holds at most 64 pixels, so each sum is at most 64 * 255 = 16320 and fits in 16 bits; the sums of
 * products, at most 64 * 255^2, fit in an int32 too). About twice as fast as the plain version.
 */
function cellSums(
  pa: Uint8Array,
  pb: Uint8Array,
  width: number,
  side: number,
  across: number,
  down: number,
): CellSums {
  const sums = scratchFor(across * down);
  const { packed: cellPacked, saa: cellSaa, sbb: cellSbb, sab: cellSab } = sums;
  for (let cy = 0; cy < down; cy++) {
    for (let row = cy * side, rowEnd = row + side; row < rowEnd; row++) {
      let i = row * width;
      for (let c = cy * across, cEnd = c + across; c < cEnd; c++) {
        let packed = 0;
        let saa = 0;
        let sbb = 0;
        let sab = 0;
        for (const end = i + side; i < end; i += 2) {
          const va = pa[i]!;
          const vb = pb[i]!;
          const wa = pa[i + 1]!;
          const wb = pb[i + 1]!;
          packed += (va + wa) | ((vb + wb) << 16);
          saa += va * va + wa * wa;
          sbb += vb * vb + wb * wb;
          sab += va * vb + wa * wb;
        }
        cellPacked[c]! += packed;
        cellSaa[c]! += saa;
        cellSbb[c]! += sbb;
        cellSab[c]! += sab;
      }
    }
  }
  return sums;
}

function directBlockSsim(pa: Uint8Array, pb: Uint8Array, width: number, x: number, y: number): number {
  let sa = 0;
  let sb = 0;
  let saa = 0;
  let sbb = 0;
  let sab = 0;
  for (let row = y; row < y + SSIM_BLOCK_SIZE; row++) {
    for (let i = row * width + x, end = i + SSIM_BLOCK_SIZE; i < end; i++) {
      const va = pa[i]!;
      const vb = pb[i]!;
      sa += va;
      sb += vb;
      saa += va * va;
      sbb += vb * vb;
      sab += va * vb;
    }
  }
  return blockSsim(sa, sb, saa, sbb, sab);
}

/**
 * SSIM of one block from its raw sums: (2 mu_a mu_b + C1)(2 cov + C2) / ((mu_a^2 + mu_b^2 + C1)
 * (var_a + var_b + C2)) with population (co)variances, every term multiplied by N^2.
 */
function blockSsim(sa: number, sb: number, saa: number, sbb: number, sab: number): number {
  const sasb = sa * sb;
  const numerator = (2 * sasb + C1_SCALED) * (2 * (BLOCK_PIXELS * sab - sasb) + C2_SCALED);
  const denominator =
    (sa * sa + sb * sb + C1_SCALED) * (BLOCK_PIXELS * (saa + sbb) - sa * sa - sb * sb + C2_SCALED);
  return numerator / denominator;
}

function checkPlane(plane: GrayPlane, which: string): void {
  const { width, height, data } = plane;
  if (!Number.isInteger(width) || !Number.isInteger(height)) {
    throw new SsimSizeError(`${which} plane has non-integer dimensions ${width}x${height}`);
  }
  if (width < SSIM_BLOCK_SIZE || height < SSIM_BLOCK_SIZE) {
    throw new SsimSizeError(
      `${which} plane is ${width}x${height}, smaller than one ${SSIM_BLOCK_SIZE}x${SSIM_BLOCK_SIZE} block`,
    );
  }
  if (data.length !== width * height) {
    throw new SsimSizeError(`${which} plane holds ${data.length} bytes, expected ${width}x${height}`);
  }
}
