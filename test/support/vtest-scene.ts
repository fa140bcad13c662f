import type { SceneRegion } from '../../src/inference/local/zone-events';

/**
 * Zones and a line drawn on vtest.avi's fixed camera (768x576, in frame fractions), shared by the
 * scene tests, the demo's expectations and the benchmark: the lawn is the grass in the lower left,
 * below the curved edge of the walkway; "west" crosses the walkway's left part from top to bottom,
 * so someone walking towards the left edge of the picture crosses it "to-right" (looking along the
 * line from its top end, the left edge of the picture is on the right hand).
 */
export const VTEST_LAWN: SceneRegion = {
  kind: 'zone',
  id: 'lawn',
  name: 'lawn',
  labels: ['person'],
  severity: 'medium',
  polygon: [
    [0, 0.42],
    [0.2, 0.45],
    [0.38, 0.5],
    [0.46, 0.56],
    [0.55, 0.63],
    [0.7, 0.72],
    [0.85, 0.81],
    [1, 0.9],
    [1, 1],
    [0, 1],
  ].map(([x, y]) => ({ x: x!, y: y! })),
};

export const VTEST_WEST_LINE: SceneRegion = {
  kind: 'line',
  id: 'west',
  name: 'west',
  labels: ['person'],
  from: { x: 0.25, y: 0.25 },
  to: { x: 0.25, y: 0.5 },
};
