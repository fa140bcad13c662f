import type { ResultOf, VariablesOf } from '../../api/graphql';
import type { FieldProblem } from '../../api/errors';
import type { SaveStreamSceneMutation, SceneFields } from './scenes.documents';

// A stream's zones and lines as the admin edits them: plain data and the functions that change it,
// apart from the components that draw it. Numbers and labels are kept as typed until saved.

export type Scene = ResultOf<typeof SceneFields>;
export type SceneInput = VariablesOf<typeof SaveStreamSceneMutation>['input'];

/** A point in fractions of the frame, 0 to 1, from its top left corner (as the API has it). */
export interface Point {
  x: number;
  y: number;
}

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

/** Where one may cross a line, looking from its start (A) to its end (B). */
export const DIRECTIONS = {
  '': 'Either way',
  'to-left': 'Only to the left of A→B',
  'to-right': 'Only to the right of A→B',
} as const;

interface DraftBase {
  /** Stable within the editor; the region's id once saved. */
  key: string;
  /** The id the API gave the region; null until it is first saved. */
  id: string | null;
  name: string;
  /** Comma-separated COCO labels, as typed; empty for every label. */
  labels: string;
  /** One of SEVERITIES, or '' for the event type's default. */
  severity: string;
}

export interface DraftZone extends DraftBase {
  kind: 'zone';
  polygon: Point[];
  crowdAt: string;
  dwellSeconds: string;
}

export interface DraftLine extends DraftBase {
  kind: 'line';
  from: Point;
  to: Point;
  /** A key of DIRECTIONS. */
  allowedDirection: string;
}

export type DraftRegion = DraftZone | DraftLine;

/** What is being drawn: a zone's points so far, or a line's start. */
export type Drawing = { kind: 'zone'; points: Point[] } | { kind: 'line'; points: Point[] };

/** The regions of a saved scene, ready to edit. */
export function draftOf(scene: Scene): DraftRegion[] {
  return [
    ...scene.zones.map((zone): DraftZone => ({
      kind: 'zone',
      key: zone.id,
      id: zone.id,
      name: zone.name,
      polygon: zone.polygon.map(({ x, y }) => ({ x, y })),
      labels: zone.labels.join(', '),
      crowdAt: zone.crowdAt == null ? '' : String(zone.crowdAt),
      dwellSeconds: zone.dwellSeconds == null ? '' : String(zone.dwellSeconds),
      severity: zone.severity ?? '',
    })),
    ...scene.lines.map((line): DraftLine => ({
      kind: 'line',
      key: line.id,
      id: line.id,
      name: line.name,
      from: { x: line.from.x, y: line.from.y },
      to: { x: line.to.x, y: line.to.y },
      labels: line.labels.join(', '),
      allowedDirection: line.allowedDirection ?? '',
      severity: line.severity ?? '',
    })),
  ];
}

const labelList = (text: string) =>
  text
    .split(',')
    .map((label) => label.trim())
    .filter(Boolean);

const wholeOrNull = (text: string) => (text.trim() === '' ? null : Number(text));

/**
 * The save's input and, for each region, the path the API names its problems under
 * (`input.zones.0`, `input.lines.2`): zones and lines are sent apart, in the order drawn.
 */
export function sceneInput(
  streamId: string,
  expectedVersion: number,
  regions: DraftRegion[],
): { input: SceneInput; paths: Map<string, string> } {
  const paths = new Map<string, string>();
  const zones: SceneInput['zones'] = [];
  const lines: SceneInput['lines'] = [];
  for (const region of regions) {
    const common = {
      ...(region.id ? { id: region.id } : {}),
      name: region.name,
      labels: labelList(region.labels),
      severity: region.severity || null,
    };
    if (region.kind === 'zone') {
      paths.set(region.key, `input.zones.${zones.length}`);
      zones.push({
        ...common,
        polygon: region.polygon,
        crowdAt: wholeOrNull(region.crowdAt),
        dwellSeconds: wholeOrNull(region.dwellSeconds),
      });
    } else {
      paths.set(region.key, `input.lines.${lines.length}`);
      lines.push({
        ...common,
        from: region.from,
        to: region.to,
        allowedDirection: region.allowedDirection || null,
      });
    }
  }
  return { input: { streamId, expectedVersion, zones, lines }, paths };
}

/** Whether the draft differs from the saved scene in anything that would be saved. */
export function isChanged(saved: Scene, regions: DraftRegion[]): boolean {
  const asSent = (list: DraftRegion[]) => JSON.stringify(sceneInput('', 0, list).input);
  return asSent(draftOf(saved)) !== asSent(regions);
}

/**
 * Problems the console finds before sending (a threshold that is not a whole number), under the
 * same paths as the API's, so they show in the same places.
 */
export function localProblems(regions: DraftRegion[], paths: Map<string, string>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const region of regions) {
    if (region.kind !== 'zone') continue;
    for (const field of ['crowdAt', 'dwellSeconds'] as const) {
      const text = region[field].trim();
      if (text !== '' && !Number.isInteger(Number(text))) {
        problems.push({ field: `${paths.get(region.key)}.${field}`, message: 'must be a whole number' });
      }
    }
  }
  return problems;
}

/** "Zone 3": the first such name no region has yet. */
export function nextName(regions: DraftRegion[], kind: DraftRegion['kind']): string {
  const taken = new Set(regions.map((region) => region.name.trim().toLowerCase()));
  const word = kind === 'zone' ? 'Zone' : 'Line';
  let n = regions.filter((region) => region.kind === kind).length + 1;
  while (taken.has(`${word} ${n}`.toLowerCase())) n += 1;
  return `${word} ${n}`;
}

let keys = 0;
/** A key for a region drawn in this editor (it gets its id when saved). */
export const newKey = (): string => `new-${(keys += 1)}`;

/** A point kept inside the frame, rounded to what a click can mean (1/10,000 of the frame). */
export function clampPoint(point: Point): Point {
  const clamp = (value: number) => Math.round(Math.min(1, Math.max(0, value)) * 10_000) / 10_000;
  return { x: clamp(point.x), y: clamp(point.y) };
}

/** The region with one of its points moved: a zone's corner by index, a line's `from` (0) or `to` (1). */
export function movePoint(region: DraftRegion, handle: number, point: Point): DraftRegion {
  const moved = clampPoint(point);
  if (region.kind === 'zone') {
    return { ...region, polygon: region.polygon.map((old, index) => (index === handle ? moved : old)) };
  }
  return handle === 0 ? { ...region, from: moved } : { ...region, to: moved };
}

/** A drawn zone's points make a zone once there are three of them. */
export const canClose = (drawing: Drawing | null): boolean =>
  drawing?.kind === 'zone' && drawing.points.length >= 3;

/** The region a finished drawing makes, named `name`. */
export function regionFrom(drawing: Drawing, name: string): DraftRegion {
  const common = { key: newKey(), id: null, name, labels: '', severity: '' };
  if (drawing.kind === 'zone') {
    return { ...common, kind: 'zone', polygon: drawing.points, crowdAt: '', dwellSeconds: '' };
  }
  return { ...common, kind: 'line', from: drawing.points[0]!, to: drawing.points[1]!, allowedDirection: '' };
}
