/**
 * The size of sampled frames. Qwen3-VL sees an image as 32x32-pixel tokens (patch 16, merge 2;
 * see docs/gpu-node-contract.md), so both sides are multiples of 32: a side that is not gets padded or
 * resized by the model server, which costs tokens and blurs the picture for nothing.
 *
 * Rules: the long side is at most `maxWidth`; the picture is never enlarged; each side is rounded
 * DOWN to a multiple of 32 on its own (so the aspect ratio drifts by less than 32 px on each
 * side, e.g. 1920x1080 -> 448x252 -> 448x224); no side is below 32, the model's smallest token,
 * which is the one case where a tiny source is enlarged. Pixels are squared first: an anamorphic
 * source (sample aspect ratio other than 1) is sized by its display width.
 *
 * The sampler does this inside ffmpeg with `scaleFilter`, whose expressions are evaluated per
 * input size, so a camera that changes resolution mid-stream is handled without a new probe;
 * `computeFrameGeometry` is the same arithmetic in TypeScript, and a medium test checks that the two
 * agree on real ffmpeg runs.
 */

export const FRAME_GRID = 32;
export const DEFAULT_MAX_WIDTH = 448;
export const MAX_MAX_WIDTH = 4096;

export interface FrameSize {
  width: number;
  height: number;
}

/**
 * Guards against floating point landing just under a multiple of 32 (e.g. 447.99999 -> 416);
 * the quotients here are ratios of integers below 2^20, which are never this close to a multiple
 * of 32 without being one.
 */
const EPSILON = 1e-6;

export function assertMaxWidth(maxWidth: number): void {
  if (!Number.isInteger(maxWidth) || maxWidth < FRAME_GRID || maxWidth > MAX_MAX_WIDTH) {
    throw new RangeError(`maxWidth must be an integer from ${FRAME_GRID} to ${MAX_MAX_WIDTH}`);
  }
}

export function computeFrameGeometry(
  source: FrameSize,
  maxWidth: number = DEFAULT_MAX_WIDTH,
  sampleAspectRatio = 1,
): FrameSize {
  assertMaxWidth(maxWidth);
  if (!(source.width > 0 && source.height > 0)) throw new RangeError('source size must be positive');
  // ffmpeg's scale filter treats an unknown sample aspect ratio (0/1) as square pixels.
  const sar = sampleAspectRatio > 0 && Number.isFinite(sampleAspectRatio) ? sampleAspectRatio : 1;
  const displayWidth = source.width * sar;
  const longSide = Math.max(displayWidth, source.height);
  return {
    width: fitSide(displayWidth, longSide, maxWidth),
    height: fitSide(source.height, longSide, maxWidth),
  };
}

// Same operations, in the same order, as the ffmpeg expression below.
function fitSide(side: number, longSide: number, maxWidth: number): number {
  const scaled = Math.min(side, (maxWidth * side) / longSide);
  return Math.max(FRAME_GRID, Math.trunc(scaled / FRAME_GRID + EPSILON) * FRAME_GRID);
}

/**
 * The ffmpeg filters that resize a frame to `computeFrameGeometry`'s size: `scale` with per-frame
 * expressions (iw, ih, sar are the input's), then `setsar=1` since the pixels are now square.
 * Commas inside expressions are protected by the filtergraph's single quotes; no shell is
 * involved, so the quotes reach ffmpeg as written.
 */
export function scaleFilter(maxWidth: number = DEFAULT_MAX_WIDTH): string {
  assertMaxWidth(maxWidth);
  const displayWidth = 'iw*sar';
  const longSide = `max(${displayWidth},ih)`;
  const side = (s: string) =>
    `max(${FRAME_GRID},trunc(min(${s},${maxWidth}*${s}/${longSide})/${FRAME_GRID}+${EPSILON.toFixed(6)})*${FRAME_GRID})`;
  // `area` averages the source pixels each output pixel covers: sharp and alias-free when
  // shrinking 1080p four times, and cheap next to decoding.
  return `scale=w='${side(displayWidth)}':h='${side('ih')}':flags=area,setsar=1`;
}
