/**
 * JPEG frame -> small grayscale plane, the input of SSIM-based dedup.
 *
 * Why small: dedup only has to notice that the picture changed, and both the decode and the SSIM
 * get cheaper with fewer pixels. Why 128 on the long side (128x64 for a 448x224 frame, 128x91 for
 * 448x320), measured with bench/ingest-media.bench.ts on this project's 2-core machine:
 *   - cost: decoding the 448 px JPEG dominates. libjpeg decodes straight at 1/2 (or 1/4, 1/8) scale
 *     when the target allows, so 64-128 px cost about the same (3-4 ms of CPU per frame on a
 *     loaded machine), 160 px up to ~25% more (a larger resampling pass after the 1/2-scale
 *     decode); SSIM takes ~0.06 ms at 128x64, ~0.1 ms at 160x80 and 0.3-0.45 ms at 448x256;
 *   - sensitivity: mean SSIM is an area measure, so the size of an entering object that pushes it
 *     under 0.95 is about the same fraction of the picture at every plane size from 96 to 448 px
 *     (a ~64 px square in a 448x224 frame, 4% of it; at 64 px a 48 px square already counts, as a
 *     block then spans more of the picture). 128 rather than 64: the same cost, and enough blocks
 *     (31x15 at stride 4) for worst-region pooling's 4x4 areas (see ssim.ts), which at 64 px would
 *     be under two blocks tall; rather than 160 or more: no more sensitive, and cheaper.
 * Sensor noise also averages out in the downscale, so a static scene stays near SSIM 1.
 */
import sharp from 'sharp';
import type { GrayPlane } from './ssim';

export type { GrayPlane } from './ssim';

/** Long side of the plane dedup compares by default (see the note at the top of this file). */
export const DEFAULT_PLANE_LONG_SIDE = 128;

export interface GrayPlaneOptions {
  /** Long side of the plane in pixels (the short side follows the aspect ratio). Default 128. */
  readonly longSide?: number;
}

/**
 * Decodes a JPEG (or any image sharp reads) into an 8-bit grayscale plane whose long side is at most
 * `longSide`, keeping the aspect ratio; never enlarges. Frames of one stream have one size, so their
 * planes have one size too, which SSIM requires.
 *
 * Grayscale is taken after the resize ("do grayscale on the small image": libvips then converts
 * only the small image). Rejects when the data is not a decodable image (a truncated JPEG included),
 * so a damaged frame never becomes a reference plane.
 */
export async function jpegToGrayPlane(image: Buffer, options: GrayPlaneOptions = {}): Promise<GrayPlane> {
  const longSide = options.longSide ?? DEFAULT_PLANE_LONG_SIDE;
  if (!Number.isInteger(longSide) || longSide < 8) {
    throw new RangeError(`longSide must be an integer of at least 8, got ${longSide}`);
  }
  const { data, info } = await sharp(image, { failOn: 'truncated' })
    .resize({
      width: longSide,
      height: longSide,
      fit: 'inside',
      withoutEnlargement: true,
      // The default; named because it is what makes a 448 -> 128 resize cheap: libjpeg decodes
      // straight at 1/2 scale and only the rest is resampled.
      fastShrinkOnLoad: true,
    })
    // Not .grayscale(): sharp applies that before the resize, converting every pixel of the large
    // image (measured ~1.5 ms more per 448 px frame); toColourspace converts the small output.
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) {
    throw new Error(`expected a single-channel plane from sharp, got ${info.channels} channels`);
  }
  // A view over sharp's buffer rather than a copy: the plane owns it from here on.
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
  };
}
