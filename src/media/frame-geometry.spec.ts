import { computeFrameGeometry, FRAME_GRID, scaleFilter } from './frame-geometry';

describe('computeFrameGeometry', () => {
  it.each([
    // 1080p: 448 x 252, the short side rounded down to 224.
    [1920, 1080, 448, 448, 224],
    // 4:3 PAL (the pedestrian video): 448 x 336 -> 448 x 320.
    [768, 576, 448, 448, 320],
    // Portrait phones.
    [1080, 1920, 448, 224, 448],
    [720, 1280, 448, 224, 448],
    // Already small: never enlarged, only rounded down to the grid.
    [320, 240, 448, 320, 224],
    [448, 448, 448, 448, 448],
    [100, 50, 448, 96, 32],
    // Tiny: the 32-px minimum is the one enlargement.
    [20, 20, 448, 32, 32],
    [1000, 10, 448, 448, 32],
    // Other limits; a limit off the grid is rounded down with the side.
    [1920, 1080, 896, 896, 480],
    [1920, 1080, 500, 480, 256],
    [3840, 2160, 448, 448, 224],
    // Odd sizes: 641x479 -> 448 x 334.7 -> 448 x 320.
    [641, 479, 448, 448, 320],
  ])('%ix%i at %i -> %ix%i', (width, height, maxWidth, w, h) => {
    expect(computeFrameGeometry({ width, height }, maxWidth)).toEqual({ width: w, height: h });
  });

  it('squares anamorphic pixels first (720x576 at 16:15 displays as 768x576)', () => {
    expect(computeFrameGeometry({ width: 720, height: 576 }, 448, 16 / 15)).toEqual({
      width: 448,
      height: 320,
    });
  });

  it('treats an unknown sample aspect ratio (0) as square', () => {
    expect(computeFrameGeometry({ width: 1920, height: 1080 }, 448, 0)).toEqual({ width: 448, height: 224 });
  });

  it('keeps its rules over many sizes', () => {
    const broken: string[] = [];
    for (let width = 16; width <= 4000; width += 37) {
      for (let height = 16; height <= 4000; height += 53) {
        for (const maxWidth of [224, 448, 672]) {
          const out = computeFrameGeometry({ width, height }, maxWidth);
          const scale = Math.min(1, maxWidth / Math.max(width, height));
          const rules = [
            out.width % FRAME_GRID === 0 && out.height % FRAME_GRID === 0,
            Math.max(out.width, out.height) <= maxWidth,
            // Never enlarged beyond the 32-px minimum.
            out.width <= Math.max(FRAME_GRID, width) && out.height <= Math.max(FRAME_GRID, height),
            // Each side is the largest multiple of 32 that fits the exact scale.
            out.width === FRAME_GRID || out.width + FRAME_GRID > width * scale,
            out.height === FRAME_GRID || out.height + FRAME_GRID > height * scale,
          ];
          if (rules.includes(false))
            broken.push(`${width}x${height}@${maxWidth} -> ${out.width}x${out.height}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('refuses limits off the supported range and empty sources', () => {
    expect(() => computeFrameGeometry({ width: 100, height: 100 }, 16)).toThrow(RangeError);
    expect(() => computeFrameGeometry({ width: 100, height: 100 }, 448.5)).toThrow(RangeError);
    expect(() => computeFrameGeometry({ width: 0, height: 100 })).toThrow(RangeError);
  });
});

describe('scaleFilter', () => {
  it('is the same arithmetic as an ffmpeg scale expression, then square pixels', () => {
    expect(scaleFilter(448)).toBe(
      "scale=w='max(32,trunc(min(iw*sar,448*iw*sar/max(iw*sar,ih))/32+0.000001)*32)'" +
        ":h='max(32,trunc(min(ih,448*ih/max(iw*sar,ih))/32+0.000001)*32)':flags=area,setsar=1",
    );
  });
});
