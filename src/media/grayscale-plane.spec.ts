import sharp from 'sharp';
import { createJpegFrameDedup } from './frame-dedup';
import { DEFAULT_PLANE_LONG_SIDE, jpegToGrayPlane } from './grayscale-plane';

/** A JPEG of the given size: a colour field with a darker textured square at (left, top). */
async function jpeg(
  width: number,
  height: number,
  colour: { r: number; g: number; b: number },
  square?: { left: number; top: number; size: number },
): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inSquare =
        square &&
        x >= square.left &&
        x < square.left + square.size &&
        y >= square.top &&
        y < square.top + square.size;
      const texture = inSquare ? (((x >> 3) + (y >> 3)) % 2 ? 20 : 200) : null;
      const i = (y * width + x) * 3;
      data[i] = texture ?? colour.r;
      data[i + 1] = texture ?? colour.g;
      data[i + 2] = texture ?? colour.b;
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

const grey = { r: 128, g: 128, b: 128 };

describe('jpegToGrayPlane', () => {
  it('makes a single-channel plane with the long side at 128 by default, keeping the aspect ratio', async () => {
    const plane = await jpegToGrayPlane(await jpeg(448, 224, grey));
    expect(DEFAULT_PLANE_LONG_SIDE).toBe(128);
    expect([plane.width, plane.height]).toEqual([128, 64]);
    expect(plane.data).toBeInstanceOf(Uint8Array);
    expect(plane.data.length).toBe(128 * 64);
    const portrait = await jpegToGrayPlane(await jpeg(256, 448, grey), { longSide: 160 });
    expect([portrait.width, portrait.height]).toEqual([91, 160]);
  });

  it('never enlarges a small frame', async () => {
    const plane = await jpegToGrayPlane(await jpeg(96, 64, grey));
    expect([plane.width, plane.height]).toEqual([96, 64]);
    const tall = await jpegToGrayPlane(await jpeg(40, 100, grey));
    expect([tall.width, tall.height]).toEqual([40, 100]);
  });

  it('holds luminance: black is dark, white is bright, grey is in between', async () => {
    const mean = (data: Uint8Array): number => data.reduce((sum, v) => sum + v, 0) / data.length;
    const black = await jpegToGrayPlane(await jpeg(64, 64, { r: 0, g: 0, b: 0 }));
    const white = await jpegToGrayPlane(await jpeg(64, 64, { r: 255, g: 255, b: 255 }));
    const middle = await jpegToGrayPlane(await jpeg(64, 64, grey));
    const green = await jpegToGrayPlane(await jpeg(64, 64, { r: 0, g: 255, b: 0 }));
    const blue = await jpegToGrayPlane(await jpeg(64, 64, { r: 0, g: 0, b: 255 }));
    expect(mean(black.data)).toBeLessThan(5);
    expect(mean(white.data)).toBeGreaterThan(250);
    expect(Math.abs(mean(middle.data) - 128)).toBeLessThan(6);
    // Green looks far brighter than blue, as it does to a camera's luma.
    expect(mean(green.data)).toBeGreaterThan(mean(blue.data) + 100);
  });

  it('rejects data that is not a complete image', async () => {
    const whole = await jpeg(448, 256, grey, { left: 10, top: 10, size: 100 });
    await expect(jpegToGrayPlane(whole.subarray(0, Math.floor(whole.length / 2)))).rejects.toThrow();
    await expect(jpegToGrayPlane(Buffer.from('not an image at all'))).rejects.toThrow();
  });

  it('refuses a long side too small for one SSIM block', async () => {
    await expect(jpegToGrayPlane(await jpeg(64, 64, grey), { longSide: 4 })).rejects.toThrow(RangeError);
  });
});

describe('createJpegFrameDedup', () => {
  it('skips a re-encoded identical frame and keeps one where an object appeared', async () => {
    const dedup = createJpegFrameDedup();
    const empty = await jpeg(448, 256, grey, { left: 0, top: 0, size: 0 });
    const again = await sharp(empty).jpeg({ quality: 80 }).toBuffer(); // other coding noise
    const withObject = await jpeg(448, 256, grey, { left: 200, top: 60, size: 120 });
    const reasons = [];
    for (const [i, frame] of [empty, again, withObject].entries()) {
      reasons.push((await dedup.decide(frame, i * 500)).reason);
    }
    expect(reasons).toEqual(['first', 'duplicate', 'changed']);
  });
});
