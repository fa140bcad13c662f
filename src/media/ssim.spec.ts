import { ssim, SsimSizeError, SSIM_BLOCK_SIZE, type GrayPlane } from './ssim';

/** Deterministic pseudo-random numbers (a test must not depend on Math.random). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function plane(width: number, height: number, pixel: (x: number, y: number) => number): GrayPlane {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data[y * width + x] = Math.max(0, Math.min(255, Math.round(pixel(x, y))));
  }
  return { data, width, height };
}

/** Something like a camera background: smooth shading plus edges and fine texture, 30..225. */
function scene(width: number, height: number, seed = 1): GrayPlane {
  const rnd = random(seed);
  const grain = Array.from({ length: width * height }, () => rnd() * 30);
  return plane(
    width,
    height,
    (x, y) =>
      128 +
      50 * Math.sin(x / 7) * Math.cos(y / 5) +
      (((x >> 4) + (y >> 4)) % 2 ? 20 : -20) +
      grain[y * width + x]! -
      15,
  );
}

function withNoise(source: GrayPlane, amplitude: number, seed: number): GrayPlane {
  const rnd = random(seed);
  return plane(
    source.width,
    source.height,
    (x, y) => source.data[y * source.width + x]! + (rnd() * 2 - 1) * amplitude,
  );
}

/** `source` with a textured object (a dark frame around a light checkerboard) drawn on it. */
function withObject(source: GrayPlane, left: number, top: number, size: number): GrayPlane {
  return plane(source.width, source.height, (x, y) => {
    const inside = x >= left && x < left + size && y >= top && y < top + size;
    if (!inside) return source.data[y * source.width + x]!;
    const border = x < left + 2 || y < top + 2 || x >= left + size - 2 || y >= top + size - 2;
    if (border) return 10;
    return ((x - left) >> 2) % 2 === ((y - top) >> 2) % 2 ? 240 : 90;
  });
}

/** The textbook formula, block by block, no tricks: the reference for the optimised version. */
function naiveSsim(a: GrayPlane, b: GrayPlane, stride: number): number {
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  const starts = (size: number): number[] => {
    const list: number[] = [];
    for (let s = 0; s + SSIM_BLOCK_SIZE <= size; s += stride) list.push(s);
    if (list[list.length - 1] !== size - SSIM_BLOCK_SIZE) list.push(size - SSIM_BLOCK_SIZE);
    return list;
  };
  let total = 0;
  let count = 0;
  for (const y0 of starts(a.height)) {
    for (const x0 of starts(a.width)) {
      const va: number[] = [];
      const vb: number[] = [];
      for (let y = y0; y < y0 + SSIM_BLOCK_SIZE; y++) {
        for (let x = x0; x < x0 + SSIM_BLOCK_SIZE; x++) {
          va.push(a.data[y * a.width + x]!);
          vb.push(b.data[y * b.width + x]!);
        }
      }
      const mean = (v: number[]): number => v.reduce((s, p) => s + p, 0) / v.length;
      const ma = mean(va);
      const mb = mean(vb);
      const varA = mean(va.map((p) => (p - ma) ** 2));
      const varB = mean(vb.map((p) => (p - mb) ** 2));
      const cov = mean(va.map((p, i) => (p - ma) * (vb[i]! - mb)));
      total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (varA + varB + c2));
      count += 1;
    }
  }
  return total / count;
}

describe('ssim', () => {
  const base = scene(128, 72);

  it('is 1 for identical planes, textured or flat', () => {
    expect(ssim(base, base)).toBeCloseTo(1, 12);
    expect(ssim(base, { ...base, data: base.data.slice() })).toBeCloseTo(1, 12);
    const flat = plane(64, 64, () => 77);
    expect(ssim(flat, flat)).toBeCloseTo(1, 12);
  });

  it('is low (below zero) for a plane against its negative', () => {
    const negative = plane(base.width, base.height, (x, y) => 255 - base.data[y * base.width + x]!);
    expect(ssim(base, negative)).toBeLessThan(0);
    expect(ssim(base, negative, { stride: 4 })).toBeLessThan(0);
  });

  it('stays high under mild sensor noise', () => {
    const noisy = withNoise(base, 3, 7);
    expect(ssim(base, noisy)).toBeGreaterThan(0.97);
    // Two independently noisy captures of the same scene, the case dedup actually sees.
    expect(ssim(withNoise(base, 3, 8), noisy, { stride: 4 })).toBeGreaterThan(0.95);
  });

  it('drops below 0.95 when an object is added or moves', () => {
    const empty = withNoise(base, 2, 11);
    const withBox = withObject(withNoise(base, 2, 12), 70, 20, 24);
    const moved = withObject(withNoise(base, 2, 13), 20, 30, 24);
    expect(ssim(empty, withBox)).toBeLessThan(0.95);
    expect(ssim(withBox, moved)).toBeLessThan(0.95);
    expect(ssim(empty, withBox, { stride: 4 })).toBeLessThan(0.95);
  });

  it('is symmetric', () => {
    const other = withObject(withNoise(base, 4, 3), 10, 10, 30);
    for (const stride of [2, 4, 8]) {
      expect(ssim(base, other, { stride })).toBe(ssim(other, base, { stride }));
      expect(ssim(base, other, { stride, pooling: 'worst-region' })).toBe(
        ssim(other, base, { stride, pooling: 'worst-region' }),
      );
    }
  });

  it('stays within [-1, 1]', () => {
    const rnd = random(5);
    for (let i = 0; i < 20; i++) {
      const a = plane(24, 16, () => rnd() * 255);
      const b = plane(24, 16, () => rnd() * 255);
      const value = ssim(a, b, { stride: 4 });
      expect(value).toBeGreaterThanOrEqual(-1);
      expect(value).toBeLessThanOrEqual(1);
    }
  });

  it.each([
    [128, 72, 8],
    [128, 72, 4],
    [37, 21, 8],
    [37, 21, 4],
    [37, 21, 2],
    [8, 8, 8],
    [9, 17, 4],
  ])('matches the textbook formula on %ix%i planes with stride %i', (width, height, stride) => {
    const a = scene(width, height, 3);
    const b = withObject(withNoise(a, 6, 4), Math.floor(width / 3), Math.floor(height / 4), 7);
    expect(ssim(a, b, { stride })).toBeCloseTo(naiveSsim(a, b, stride), 10);
  });

  it('covers the last columns and rows when the size is not a multiple of the block', () => {
    const a = scene(37, 21, 9);
    // Change only the last three columns: a grid of whole blocks from 0 would never see them.
    const b = plane(37, 21, (x, y) => (x >= 34 ? 255 - a.data[y * 37 + x]! : a.data[y * 37 + x]!));
    expect(ssim(a, b)).toBeLessThan(0.99);
    const c = plane(37, 21, (x, y) => (y >= 19 ? 255 - a.data[y * 37 + x]! : a.data[y * 37 + x]!));
    expect(ssim(a, c, { stride: 4 })).toBeLessThan(0.99);
  });

  it('notices a small object with worst-region pooling that the mean hardly registers', () => {
    const empty = withNoise(base, 2, 21);
    const small = withObject(withNoise(base, 2, 22), 90, 40, 12); // 1.6% of the picture
    const mean = ssim(empty, small, { stride: 4 });
    const worst = ssim(empty, small, { stride: 4, pooling: 'worst-region' });
    expect(mean).toBeGreaterThan(0.95);
    expect(worst).toBeLessThan(0.9);
    // Noise alone stays high under either pooling.
    expect(ssim(empty, withNoise(base, 2, 23), { pooling: 'worst-region' })).toBeGreaterThan(0.95);
  });

  it('worst-region with a single region is the mean', () => {
    const other = withObject(base, 5, 5, 20);
    expect(ssim(base, other, { pooling: 'worst-region', regions: 1 })).toBeCloseTo(ssim(base, other), 12);
  });

  it('throws on planes of different sizes', () => {
    expect(() => ssim(scene(128, 72), scene(128, 64))).toThrow(SsimSizeError);
    expect(() => ssim(scene(128, 72), scene(72, 128))).toThrow(/differ in size: 128x72 vs 72x128/);
  });

  it('throws on planes smaller than a block or with inconsistent data', () => {
    expect(() => ssim(scene(7, 20), scene(7, 20))).toThrow(SsimSizeError);
    const short = { data: new Uint8Array(10), width: 8, height: 8 };
    expect(() => ssim(short, short)).toThrow(/holds 10 bytes/);
  });

  it('refuses strides and region counts it cannot honour', () => {
    expect(() => ssim(base, base, { stride: 3 })).toThrow(RangeError);
    expect(() => ssim(base, base, { stride: 16 })).toThrow(RangeError);
    expect(() => ssim(base, base, { pooling: 'worst-region', regions: 0 })).toThrow(RangeError);
  });
});
