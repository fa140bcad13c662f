import type { SceneRegion, Zone } from '../scene/scene-region';

/*
 * Zones and a line drawn on vtest.avi's fixed camera (768x576, in frame fractions), the demo's
 * footage: the demo stream's scene, and what the scene tests on the same footage expect. The lawn
 * is the grass in the lower left, below the curved edge of the walkway; the walkway is the paved
 * strip above that edge, up to the parking bays, the gravel bed and the road on the right; "west"
 * crosses the walkway's left part from top to bottom, so someone walking towards the left edge of
 * the picture crosses it "to-right" (looking along the line from its top end, the left edge of
 * the picture is on the right hand).
 */

const points = (pairs: [number, number][]) => pairs.map(([x, y]) => ({ x, y }));

/** The walkway's lower edge and the lawn's upper edge, left to right: the two zones share it. */
const LAWN_EDGE: [number, number][] = [
  [0, 0.42],
  [0.2, 0.45],
  [0.38, 0.5],
  [0.46, 0.56],
  [0.55, 0.63],
  [0.7, 0.72],
  [0.85, 0.81],
  [1, 0.9],
];

/** Stepping onto the grass is what the demo watches for: an anomaly (medium), not a passage. */
export const VTEST_LAWN: Zone = {
  kind: 'zone',
  id: 'lawn',
  name: 'lawn',
  labels: ['person'],
  severity: 'medium',
  polygon: points([...LAWN_EDGE, [1, 1], [0, 1]]),
};

/**
 * Walking along it is ordinary (entering it is a low event); four people on it at once are a
 * crowd, and staying 20 s is loitering (the three who talk by the sign in the first half minute).
 */
export const VTEST_WALKWAY: Zone = {
  kind: 'zone',
  id: 'walkway',
  name: 'walkway',
  labels: ['person'],
  crowdAt: 4,
  dwellSeconds: 20,
  polygon: points([
    [0, 0.345],
    [0.34, 0.37],
    [0.6, 0.37],
    [0.9, 0.36],
    [1, 0.52],
    ...[...LAWN_EDGE].reverse(),
  ]),
};

export const VTEST_WEST_LINE: SceneRegion = {
  kind: 'line',
  id: 'west',
  name: 'west',
  labels: ['person'],
  from: { x: 0.25, y: 0.25 },
  to: { x: 0.25, y: 0.5 },
};

/** The demo stream's scene, in the order it is saved: zones, then lines. */
export const DEMO_SCENE: readonly SceneRegion[] = [VTEST_LAWN, VTEST_WALKWAY, VTEST_WEST_LINE];
