import type { SceneRegion } from '../scene/scene-region';
import {
  idProblems,
  type LineDraft,
  newRegionId,
  type SceneDraft,
  sceneProblems,
  toRegions,
  type ZoneDraft,
} from './stream-scene';

const lawn: ZoneDraft = {
  name: 'Lawn',
  polygon: [
    { x: 0.1, y: 0.5 },
    { x: 0.5, y: 0.5 },
    { x: 0.5, y: 0.9 },
    { x: 0.1, y: 0.9 },
  ],
  labels: ['person'],
  crowdAt: 5,
  dwellSeconds: 30,
  severity: 'high',
};

const gate: LineDraft = {
  name: 'Gate',
  from: { x: 0.6, y: 0.2 },
  to: { x: 0.9, y: 0.2 },
  labels: [],
  allowedDirection: 'to-left',
  severity: 'medium',
};

const fieldsOf = (draft: SceneDraft) => sceneProblems(draft).map((problem) => problem.field);

describe('sceneProblems', () => {
  it('accepts a scene of zones and lines, and an empty scene', () => {
    expect(sceneProblems({ zones: [lawn], lines: [gate] })).toEqual([]);
    expect(sceneProblems({ zones: [], lines: [] })).toEqual([]);
    expect(sceneProblems({ zones: [{ name: 'Bare', polygon: lawn.polygon }], lines: [] })).toEqual([]);
  });

  it('names the point and axis outside the frame or not a number', () => {
    const polygon = [...lawn.polygon];
    polygon[3] = { x: 1.2, y: 0.9 };
    polygon[1] = { x: 0.5, y: Number.NaN };
    expect(fieldsOf({ zones: [lawn, { ...lawn, name: 'Other', polygon }], lines: [] })).toEqual([
      'zones.1.polygon.1.y',
      'zones.1.polygon.3.x',
    ]);
    expect(
      fieldsOf({ zones: [], lines: [{ ...gate, from: { x: -0.01, y: 0 }, to: { x: 0.5, y: Infinity } }] }),
    ).toEqual(['lines.0.from.x', 'lines.0.to.y']);
  });

  it('wants 3 to 32 points per zone', () => {
    const point = (i: number) => ({ x: 0.5 + 0.4 * Math.cos(i / 5), y: 0.5 + 0.4 * Math.sin(i / 5) });
    const circle = (n: number) => Array.from({ length: n }, (_, i) => point((i * 31.4) / n));
    expect(fieldsOf({ zones: [{ ...lawn, polygon: lawn.polygon.slice(0, 2) }], lines: [] })).toEqual([
      'zones.0.polygon',
    ]);
    expect(fieldsOf({ zones: [{ ...lawn, polygon: circle(32) }], lines: [] })).toEqual([]);
    expect(sceneProblems({ zones: [{ ...lawn, polygon: circle(33) }], lines: [] })).toEqual([
      { field: 'zones.0.polygon', message: 'must have 3 to 32 points (33 given)' },
    ]);
  });

  it('refuses a zone without area, with a repeated point or with crossing edges', () => {
    const onALine = [
      { x: 0.1, y: 0.1 },
      { x: 0.5, y: 0.5 },
      { x: 0.9, y: 0.9 },
    ];
    expect(sceneProblems({ zones: [{ ...lawn, polygon: onALine }], lines: [] })).toEqual([
      {
        field: 'zones.0.polygon',
        message: 'encloses no area: its points lie on one line or on top of each other',
      },
    ]);
    const repeated = [lawn.polygon[0]!, lawn.polygon[1]!, lawn.polygon[1]!, lawn.polygon[2]!];
    expect(fieldsOf({ zones: [{ ...lawn, polygon: repeated }], lines: [] })).toEqual(['zones.0.polygon.2']);
    // A bow tie: the second and fourth edges cross.
    const bowTie = [
      { x: 0.1, y: 0.1 },
      { x: 0.9, y: 0.1 },
      { x: 0.1, y: 0.5 },
      { x: 0.7, y: 0.8 },
    ];
    const [problem] = sceneProblems({ zones: [{ ...lawn, polygon: bowTie }], lines: [] });
    expect(problem).toEqual({
      field: 'zones.0.polygon',
      message: expect.stringContaining('edges cross each other (edge 2 and edge 4)'),
    });
  });

  it('accepts a concave zone whose edges do not cross', () => {
    const l = [
      { x: 0.1, y: 0.1 },
      { x: 0.3, y: 0.1 },
      { x: 0.3, y: 0.6 },
      { x: 0.8, y: 0.6 },
      { x: 0.8, y: 0.8 },
      { x: 0.1, y: 0.8 },
    ];
    expect(sceneProblems({ zones: [{ ...lawn, polygon: l }], lines: [] })).toEqual([]);
  });

  it('wants a line’s ends apart', () => {
    expect(fieldsOf({ zones: [], lines: [{ ...gate, to: { x: 0.601, y: 0.2 } }] })).toEqual(['lines.0.to']);
    expect(fieldsOf({ zones: [], lines: [{ ...gate, to: { x: 0.61, y: 0.2 } }] })).toEqual([]);
  });

  it('wants names of 1 to 60 characters, unique in the scene whatever their case', () => {
    expect(
      fieldsOf({
        zones: [
          lawn,
          { ...lawn, name: '  ' },
          { ...lawn, name: 'x'.repeat(61) },
          { ...lawn, name: 'x'.repeat(60) },
        ],
        lines: [{ ...gate, name: ' lawn ' }],
      }),
    ).toEqual(['zones.1.name', 'zones.2.name', 'lines.0.name']);
    expect(sceneProblems({ zones: [lawn], lines: [{ ...gate, name: 'LAWN' }] })[0]!.message).toBe(
      '“LAWN” is already the name of zones.0; names must differ',
    );
  });

  it('checks labels, thresholds, severities and directions, each at its path', () => {
    const problems = sceneProblems({
      zones: [{ ...lawn, labels: ['person', 'people'], crowdAt: 1, dwellSeconds: 3601, severity: 'severe' }],
      lines: [{ ...gate, allowedDirection: 'north', severity: 'LOW' }],
    });
    expect(problems.map((problem) => problem.field)).toEqual([
      'zones.0.labels.1',
      'zones.0.severity',
      'zones.0.crowdAt',
      'zones.0.dwellSeconds',
      'lines.0.severity',
      'lines.0.allowedDirection',
    ]);
    expect(problems[0]!.message).toMatch(/"people" is not a label .*for example: person/);
    expect(fieldsOf({ zones: [{ ...lawn, crowdAt: 2.5 }], lines: [] })).toEqual(['zones.0.crowdAt']);
    expect(fieldsOf({ zones: [{ ...lawn, crowdAt: 100, dwellSeconds: 1 }], lines: [] })).toEqual([]);
    expect(fieldsOf({ zones: [{ ...lawn, crowdAt: 101, dwellSeconds: 0 }], lines: [] })).toEqual([
      'zones.0.crowdAt',
      'zones.0.dwellSeconds',
    ]);
  });

  it('allows at most 20 regions in all', () => {
    const zones = Array.from({ length: 12 }, (_, i) => ({ ...lawn, name: `Zone ${i}` }));
    const lines = Array.from({ length: 8 }, (_, i) => ({ ...gate, name: `Line ${i}` }));
    expect(sceneProblems({ zones, lines })).toEqual([]);
    expect(sceneProblems({ zones, lines: [...lines, { ...gate, name: 'One too many' }] })).toEqual([
      { field: 'lines', message: 'a scene has at most 20 zones and lines together (21 given)' },
    ]);
  });

  it('wants kept ids to be well formed and used once', () => {
    expect(
      fieldsOf({
        zones: [
          { ...lawn, id: 'zone-1' },
          { ...lawn, name: 'B', id: 'has space' },
        ],
        lines: [{ ...gate, id: 'zone-1' }],
      }),
    ).toEqual(['zones.1.id', 'lines.0.id']);
  });
});

describe('idProblems', () => {
  const current: SceneRegion[] = [
    { kind: 'zone', id: 'zone-a', name: 'Lawn', polygon: lawn.polygon as never, labels: [] },
    { kind: 'line', id: 'line-b', name: 'Gate', from: gate.from, to: gate.to, labels: [] },
  ];

  it('lets a region keep its id, and refuses a zone’s id on a line and the other way round', () => {
    expect(
      idProblems({ zones: [{ ...lawn, id: 'zone-a' }], lines: [{ ...gate, id: 'line-b' }] }, current),
    ).toEqual([]);
    expect(
      idProblems({ zones: [{ ...lawn, id: 'line-b' }], lines: [{ ...gate, id: 'zone-a' }] }, current).map(
        (problem) => problem.field,
      ),
    ).toEqual(['zones.0.id', 'lines.0.id']);
  });

  it('accepts ids the current scene does not have (a region drawn in an older version)', () => {
    expect(idProblems({ zones: [{ ...lawn, id: 'zone-old' }], lines: [] }, current)).toEqual([]);
  });
});

describe('toRegions', () => {
  it('keeps given ids, makes unique ones for new regions, trims names and drops repeated labels', () => {
    const made = ['zone-same', 'zone-same', 'zone-other', 'line-new'];
    const regions = toRegions(
      {
        zones: [
          { ...lawn, id: 'zone-kept', name: '  Lawn  ', labels: ['person', 'dog', 'person'] },
          { ...lawn, name: 'Second' },
          { ...lawn, name: 'Third', crowdAt: null, dwellSeconds: null, severity: null },
        ],
        lines: [{ ...gate, allowedDirection: null }],
      },
      () => made.shift()!,
    );
    expect(regions.map((region) => [region.kind, region.id, region.name])).toEqual([
      ['zone', 'zone-kept', 'Lawn'],
      ['zone', 'zone-same', 'Second'],
      ['zone', 'zone-other', 'Third'],
      ['line', 'line-new', 'Gate'],
    ]);
    expect(regions[0]).toEqual({
      kind: 'zone',
      id: 'zone-kept',
      name: 'Lawn',
      polygon: lawn.polygon,
      labels: ['person', 'dog'],
      crowdAt: 5,
      dwellSeconds: 30,
      severity: 'high',
    });
    // Options not given are left out, as the analyser's types have them.
    expect(regions[2]).toEqual({
      kind: 'zone',
      id: 'zone-other',
      name: 'Third',
      polygon: lawn.polygon,
      labels: ['person'],
    });
    expect(regions[3]).toEqual({
      kind: 'line',
      id: 'line-new',
      name: 'Gate',
      from: gate.from,
      to: gate.to,
      labels: [],
      severity: 'medium',
    });
  });

  it('makes short ids that name the region’s kind', () => {
    expect(newRegionId('zone')).toMatch(/^zone-[0-9a-f]{8}$/);
    expect(newRegionId('line')).toMatch(/^line-[0-9a-f]{8}$/);
    expect(newRegionId('zone')).not.toBe(newRegionId('zone'));
  });
});
