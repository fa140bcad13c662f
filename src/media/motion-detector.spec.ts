import { DEFAULT_MOTION_OPTIONS, type MotionState, stepMotion } from './motion-detector';
import type { GrayPlane } from './ssim';

const W = 128;
const H = 64;

/** A textured static scene (a gradient) with bright squares drawn on it. */
function scene(squares: { x: number; y: number; size: number }[] = [], lift = 0, noise = 0): GrayPlane {
  const data = new Uint8Array(W * H);
  let seed = 7;
  for (let y = 0; y < H; y += 1) {
    for (let x = 0; x < W; x += 1) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const jitter = noise ? (seed % (2 * noise + 1)) - noise : 0;
      data[y * W + x] = Math.max(0, Math.min(255, 40 + x / 2 + lift + jitter));
    }
  }
  for (const { x, y, size } of squares) {
    for (let dy = 0; dy < size; dy += 1)
      for (let dx = 0; dx < size; dx += 1) data[(y + dy) * W + x + dx] = 240;
  }
  return { data, width: W, height: H };
}

function settle(): MotionState {
  let state: MotionState | null = null;
  for (let i = 0; i < 3; i += 1) state = stepMotion(state, scene()).state;
  return state!;
}

describe('stepMotion', () => {
  it('takes the first plane as the background and reports nothing yet', () => {
    const first = stepMotion(null, scene());
    expect(first).toMatchObject({ reset: true, boxes: [], changedFraction: 0 });
  });

  it('finds a person-sized object entering a still scene, where it is', () => {
    const step = stepMotion(settle(), scene([{ x: 40, y: 20, size: 10 }]));
    expect(step.reset).toBe(false);
    expect(step.boxes).toHaveLength(1);
    const [box] = step.boxes;
    expect(box!.x).toBeCloseTo(40 / W, 6);
    expect(box!.y).toBeCloseTo(20 / H, 6);
    expect(box!.width).toBeCloseTo(10 / W, 6);
    expect(box!.height).toBeCloseTo(10 / H, 6);
    expect(box!.area).toBeCloseTo(100 / (W * H), 6);
  });

  it('reports two objects apart as two regions, the larger first', () => {
    const step = stepMotion(
      settle(),
      scene([
        { x: 10, y: 10, size: 6 },
        { x: 90, y: 30, size: 12 },
      ]),
    );
    expect(step.boxes.map((box) => Math.round(box.x * W))).toEqual([90, 10]);
  });

  it('ignores sensor noise and specks below the minimum area', () => {
    let state: MotionState | null = null;
    for (let i = 0; i < 3; i += 1) state = stepMotion(state, scene([], 0, 0)).state;
    expect(stepMotion(state, scene([], 0, 8)).boxes).toEqual([]);
    expect(stepMotion(state, scene([{ x: 60, y: 30, size: 2 }])).boxes).toEqual([]);
  });

  it('starts again when the whole picture changes (lights, a moved camera) instead of reporting it all as motion', () => {
    const step = stepMotion(settle(), scene([], 100));
    expect(step.reset).toBe(true);
    expect(step.boxes).toEqual([]);
    expect(step.changedFraction).toBeGreaterThan(DEFAULT_MOTION_OPTIONS.globalChangeFraction);
    // The new picture is the background now: the same picture again shows no motion.
    expect(stepMotion(step.state, scene([], 100)).boxes).toEqual([]);
  });

  it('lets an object that stopped fade into the background', () => {
    let state = settle();
    const parked = scene([{ x: 40, y: 20, size: 10 }]);
    const seen: number[] = [];
    for (let i = 0; i < 40; i += 1) {
      const step = stepMotion(state, parked);
      seen.push(step.boxes.length);
      state = step.state;
    }
    expect(seen[0]).toBe(1);
    expect(seen[39]).toBe(0);
  });

  it('starts again when the plane size changes', () => {
    const small: GrayPlane = { data: new Uint8Array(64 * 32), width: 64, height: 32 };
    expect(stepMotion(settle(), small)).toMatchObject({ reset: true, boxes: [] });
  });
});
