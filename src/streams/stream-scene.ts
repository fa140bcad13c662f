import { randomBytes } from 'node:crypto';
import { type AuditActor, recordAudit } from '../audit/audit-log';
import type { TenantDb, TenantTx } from '../db/tenant-scoped-db';
import { badInput, conflict, ErrorReason, type FieldProblem, notFound } from '../errors/domain-error';
import { withPrismaErrors } from '../errors/prisma-error.mapper';
import type { Prisma } from '../generated/prisma/client';
import { checkLabels } from '../scene/object-labels';
import {
  CROSS_DIRECTIONS,
  type CrossDirection,
  type Point,
  type SceneRegion,
  SEVERITIES,
  type Severity,
} from '../scene/scene-region';

/*
 * The owner of a stream's scene: the zones and tripwires drawn on its picture. Every save checks
 * the whole scene, writes it as the stream's next version and moves the stream's sceneVersion to
 * it, with its audit event, in one transaction. Versions are kept: an analysis records the one it
 * used. A save names the version it was edited from; if another save came in between, it is
 * refused, so nobody overwrites a scene they have not seen.
 */

export const SCENE_LIMITS = {
  regions: 20,
  polygonPoints: { min: 3, max: 32 },
  nameLength: 60,
  crowdAt: { min: 2, max: 100 },
  dwellSeconds: { min: 1, max: 3600 },
  /** Smallest area a zone may enclose, as a fraction of the frame: about one pixel of a large frame. */
  minZoneArea: 1e-6,
  /** Shortest tripwire, as a fraction of the frame's width or height: a line one could click twice. */
  minLineLength: 0.01,
} as const;

/** A zone as a caller sends it: `id` keeps a region of an earlier version, absent for a new one. */
export interface ZoneDraft {
  id?: string | null;
  name: string;
  polygon: readonly Point[];
  labels?: readonly string[] | null;
  crowdAt?: number | null;
  dwellSeconds?: number | null;
  severity?: string | null;
}

export interface LineDraft {
  id?: string | null;
  name: string;
  from: Point;
  to: Point;
  labels?: readonly string[] | null;
  allowedDirection?: string | null;
  severity?: string | null;
}

export interface SceneDraft {
  zones: readonly ZoneDraft[];
  lines: readonly LineDraft[];
}

export interface SaveSceneInput extends SceneDraft {
  streamId: string;
  /** The version the caller edited (0 when the stream had no scene). */
  expectedVersion: number;
}

/** One version of a stream's scene, as the analyser reads it. */
export interface SceneVersion {
  version: number;
  regions: SceneRegion[];
}

/** A version with who saved it and when (both null for version 0, the empty scene). */
export interface SavedScene extends SceneVersion {
  savedAt: Date | null;
  savedById: string | null;
}

const EMPTY_SCENE: SavedScene = { version: 0, regions: [], savedAt: null, savedById: null };

const REGION_ID = /^[A-Za-z0-9_-]{1,40}$/;

/**
 * Everything wrong with a scene, each problem named by its path (`zones.1.polygon.3.x`). Checks
 * the shapes, values and names; whether a kept id fits the current scene is `idProblems`.
 */
export function sceneProblems(draft: SceneDraft): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  const total = draft.zones.length + draft.lines.length;
  if (total > SCENE_LIMITS.regions) {
    add(
      draft.zones.length > SCENE_LIMITS.regions ? 'zones' : 'lines',
      `a scene has at most ${SCENE_LIMITS.regions} zones and lines together (${total} given)`,
    );
  }

  const names = new Map<string, string>();
  const ids = new Map<string, string>();
  const common = (region: ZoneDraft | LineDraft, path: string) => {
    const name = typeof region.name === 'string' ? region.name.trim() : '';
    if (name.length < 1 || name.length > SCENE_LIMITS.nameLength) {
      add(`${path}.name`, `must be 1 to ${SCENE_LIMITS.nameLength} characters`);
    } else {
      const key = name.toLowerCase();
      const other = names.get(key);
      if (other) add(`${path}.name`, `“${name}” is already the name of ${other}; names must differ`);
      else names.set(key, path);
    }
    if (region.id !== undefined && region.id !== null) {
      if (!REGION_ID.test(region.id)) {
        add(`${path}.id`, 'must be the id of a region of this stream (letters, digits, - and _)');
      } else {
        const other = ids.get(region.id);
        if (other) add(`${path}.id`, `is already the id of ${other}`);
        else ids.set(region.id, path);
      }
    }
    problems.push(...checkLabels(region.labels ?? [], `${path}.labels`));
    if (region.severity != null && !(SEVERITIES as readonly string[]).includes(region.severity)) {
      add(`${path}.severity`, `must be one of ${SEVERITIES.join(', ')}`);
    }
  };

  draft.zones.forEach((zone, index) => {
    const path = `zones.${index}`;
    common(zone, path);
    const polygon = zone.polygon ?? [];
    const { min, max } = SCENE_LIMITS.polygonPoints;
    if (polygon.length < min || polygon.length > max) {
      add(`${path}.polygon`, `must have ${min} to ${max} points (${polygon.length} given)`);
    } else {
      const pointProblems = polygon.flatMap((point, at) => pointProblemsAt(point, `${path}.polygon.${at}`));
      problems.push(...pointProblems);
      const repeated = polygon.findIndex((point, at) => samePoint(point, polygon.at(at - 1)!));
      if (pointProblems.length === 0 && repeated >= 0) {
        add(`${path}.polygon.${repeated}`, 'is the same point as the one before it');
      } else if (pointProblems.length === 0) {
        if (Math.abs(polygonArea(polygon)) < SCENE_LIMITS.minZoneArea) {
          add(`${path}.polygon`, 'encloses no area: its points lie on one line or on top of each other');
        } else {
          const crossing = crossingEdges(polygon);
          if (crossing) {
            add(
              `${path}.polygon`,
              `its edges cross each other (edge ${crossing[0] + 1} and edge ${crossing[1] + 1}); draw the outline in order`,
            );
          }
        }
      }
    }
    wholeNumberIn(zone.crowdAt, SCENE_LIMITS.crowdAt, `${path}.crowdAt`, add);
    wholeNumberIn(zone.dwellSeconds, SCENE_LIMITS.dwellSeconds, `${path}.dwellSeconds`, add);
  });

  draft.lines.forEach((line, index) => {
    const path = `lines.${index}`;
    common(line, path);
    const endpointProblems = [
      ...pointProblemsAt(line.from, `${path}.from`),
      ...pointProblemsAt(line.to, `${path}.to`),
    ];
    problems.push(...endpointProblems);
    if (
      endpointProblems.length === 0 &&
      Math.hypot(line.to.x - line.from.x, line.to.y - line.from.y) < SCENE_LIMITS.minLineLength
    ) {
      add(
        `${path}.to`,
        `must be at least ${SCENE_LIMITS.minLineLength * 100}% of the frame away from the line's start`,
      );
    }
    if (
      line.allowedDirection != null &&
      !(CROSS_DIRECTIONS as readonly string[]).includes(line.allowedDirection)
    ) {
      add(`${path}.allowedDirection`, `must be one of ${CROSS_DIRECTIONS.join(', ')}`);
    }
  });
  return problems;
}

/**
 * Ids kept from the current scene must keep their kind: the analyser carries a region's state
 * (who is inside, who crossed) by its id from one window to the next.
 */
export function idProblems(draft: SceneDraft, current: readonly SceneRegion[]): FieldProblem[] {
  const kinds = new Map(current.map((region) => [region.id, region.kind]));
  const problems: FieldProblem[] = [];
  const check = (id: string | null | undefined, kind: SceneRegion['kind'], path: string) => {
    const was = id == null ? undefined : kinds.get(id);
    if (was && was !== kind) {
      problems.push({
        field: `${path}.id`,
        message: `is the id of a ${was === 'zone' ? 'zone' : 'line'}; a new ${kind} needs no id`,
      });
    }
  };
  draft.zones.forEach((zone, index) => check(zone.id, 'zone', `zones.${index}`));
  draft.lines.forEach((line, index) => check(line.id, 'line', `lines.${index}`));
  return problems;
}

/**
 * The regions of a checked draft as they are stored: names trimmed, labels without repeats,
 * options left out when not given, the given ids kept and new ones made for new regions.
 */
export function toRegions(draft: SceneDraft, newId: (kind: SceneRegion['kind']) => string): SceneRegion[] {
  const taken = new Set<string>(
    [...draft.zones, ...draft.lines].flatMap((region) => (region.id == null ? [] : [region.id])),
  );
  const idFor = (id: string | null | undefined, kind: SceneRegion['kind']) => {
    if (id != null) return id;
    let made = newId(kind);
    while (taken.has(made)) made = newId(kind);
    taken.add(made);
    return made;
  };
  const labels = (given: readonly string[] | null | undefined) => [...new Set(given ?? [])];
  const severity = (given: string | null | undefined) =>
    given == null ? {} : { severity: given as Severity };
  return [
    ...draft.zones.map((zone): SceneRegion => ({
      kind: 'zone',
      id: idFor(zone.id, 'zone'),
      name: zone.name.trim(),
      polygon: zone.polygon.map(({ x, y }) => ({ x, y })),
      labels: labels(zone.labels),
      ...(zone.crowdAt == null ? {} : { crowdAt: zone.crowdAt }),
      ...(zone.dwellSeconds == null ? {} : { dwellSeconds: zone.dwellSeconds }),
      ...severity(zone.severity),
    })),
    ...draft.lines.map((line): SceneRegion => ({
      kind: 'line',
      id: idFor(line.id, 'line'),
      name: line.name.trim(),
      from: { x: line.from.x, y: line.from.y },
      to: { x: line.to.x, y: line.to.y },
      labels: labels(line.labels),
      ...(line.allowedDirection == null ? {} : { allowedDirection: line.allowedDirection as CrossDirection }),
      ...severity(line.severity),
    })),
  ];
}

/** A short id for a new region, e.g. `zone-3f9a1c2b`: unique within its stream's scenes. */
export const newRegionId = (kind: SceneRegion['kind']): string => `${kind}-${randomBytes(4).toString('hex')}`;

/**
 * Saves the scene as the stream's next version. Refuses bad input (BAD_USER_INPUT, each problem
 * under `input.`), another tenant's or an unknown stream (NOT_FOUND), and an `expectedVersion`
 * that is no longer the current one (CONFLICT, STALE_VERSION).
 */
export async function saveScene(db: TenantDb, actor: AuditActor, input: SaveSceneInput): Promise<SavedScene> {
  const problems = sceneProblems(input);
  if (!Number.isInteger(input.expectedVersion) || input.expectedVersion < 0) {
    problems.unshift({ field: 'expectedVersion', message: 'must be a version number, 0 or more' });
  }
  if (problems.length > 0) throw badInput(asInput(problems));
  const expected = input.expectedVersion;
  return withPrismaErrors('stream scene', () =>
    db.$transaction(async (tx) => {
      // Moving the version first locks the stream row: of two saves from one version, the second
      // waits here, then finds the version moved on.
      const moved = await tx.stream.updateMany({
        where: { id: input.streamId, sceneVersion: expected },
        data: { sceneVersion: expected + 1 },
      });
      if (moved.count === 0) {
        const stream = await tx.stream.findUnique({
          where: { id: input.streamId },
          select: { sceneVersion: true },
        });
        if (!stream) throw notFound('Stream');
        throw conflict(
          `The zones and lines were saved by someone else since version ${expected} (they are now at version ${stream.sceneVersion}); load them again and redo your changes`,
          ErrorReason.STALE_VERSION,
        );
      }
      const current = await findScene(tx, input.streamId, expected);
      const kept = idProblems(input, current?.regions ?? []);
      if (kept.length > 0) throw badInput(asInput(kept));
      const regions = toRegions(input, newRegionId);
      const saved = await tx.streamScene.create({
        data: {
          tenantId: actor.tenantId,
          streamId: input.streamId,
          version: expected + 1,
          regions: regions as unknown as Prisma.InputJsonValue,
          savedById: actor.kind === 'user' ? actor.id : null,
        },
      });
      await recordAudit(tx, actor, {
        action: 'stream.scene.saved',
        entityType: 'Stream',
        entityId: input.streamId,
        data: {
          version: saved.version,
          zones: input.zones.length,
          lines: input.lines.length,
        },
      });
      return { version: saved.version, regions, savedAt: saved.savedAt, savedById: saved.savedById };
    }),
  );
}

/** One version of the stream's scene with who saved it; version 0 is the empty scene; null if none. */
export async function findScene(
  db: TenantDb | TenantTx,
  streamId: string,
  version: number,
): Promise<SavedScene | null> {
  if (version === 0) return EMPTY_SCENE;
  if (!Number.isInteger(version) || version < 0) return null;
  const row = await db.streamScene.findFirst({ where: { streamId, version } });
  if (!row) return null;
  return {
    version: row.version,
    regions: row.regions as unknown as SceneRegion[],
    savedAt: row.savedAt,
    savedById: row.savedById,
  };
}

/**
 * The scene the analyser applies: the stream's current one when `version` is omitted (`{version: 0,
 * regions: []}` while none is drawn), else that version (an analysis drawn as it was seen).
 */
export async function loadScene(
  db: TenantDb | TenantTx,
  streamId: string,
  version?: number,
): Promise<SceneVersion> {
  let wanted = version;
  if (wanted === undefined) {
    const stream = await db.stream.findUnique({ where: { id: streamId }, select: { sceneVersion: true } });
    if (!stream) throw notFound('Stream');
    wanted = stream.sceneVersion;
  }
  const scene = await findScene(db, streamId, wanted);
  if (!scene) throw notFound('Scene version');
  return { version: scene.version, regions: scene.regions };
}

const asInput = (problems: FieldProblem[]): FieldProblem[] =>
  problems.map((problem) => ({ ...problem, field: `input.${problem.field}` }));

function pointProblemsAt(point: Point | null | undefined, path: string): FieldProblem[] {
  if (!point || typeof point !== 'object') return [{ field: path, message: 'must be a point {x, y}' }];
  return (['x', 'y'] as const).flatMap((axis) => {
    const value = point[axis];
    return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1
      ? []
      : [{ field: `${path}.${axis}`, message: 'must be a fraction of the frame from 0 to 1' }];
  });
}

function wholeNumberIn(
  value: number | null | undefined,
  range: { min: number; max: number },
  path: string,
  add: (field: string, message: string) => void,
): void {
  if (value == null) return;
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    add(path, `must be a whole number from ${range.min} to ${range.max}`);
  }
}

const samePoint = (a: Point, b: Point) => a.x === b.x && a.y === b.y;

/** The signed area in fractions of the frame (shoelace); its sign says which way the outline turns. */
function polygonArea(polygon: readonly Point[]): number {
  let sum = 0;
  for (let i = 0; i < polygon.length; i += 1) {
    const a = polygon[i]!;
    const b = polygon[(i + 1) % polygon.length]!;
    sum += a.x * b.y - b.x * a.y;
  }
  return sum / 2;
}

/** The first two edges of the outline that cross or overlap (edge i runs from point i to the next). */
function crossingEdges(polygon: readonly Point[]): [number, number] | null {
  const n = polygon.length;
  for (let i = 0; i < n; i += 1) {
    for (let j = i + 2; j < n; j += 1) {
      if (i === 0 && j === n - 1) continue; // the closing edge shares point 0 with edge 0
      if (segmentsMeet(polygon[i]!, polygon[(i + 1) % n]!, polygon[j]!, polygon[(j + 1) % n]!)) return [i, j];
    }
  }
  return null;
}

const orientation = (a: Point, b: Point, c: Point) =>
  Math.sign((b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x));

const onSegment = (a: Point, b: Point, p: Point) =>
  Math.min(a.x, b.x) <= p.x &&
  p.x <= Math.max(a.x, b.x) &&
  Math.min(a.y, b.y) <= p.y &&
  p.y <= Math.max(a.y, b.y);

/** Whether segments ab and cd share any point (crossing, touching or overlapping). */
function segmentsMeet(a: Point, b: Point, c: Point, d: Point): boolean {
  const o1 = orientation(a, b, c);
  const o2 = orientation(a, b, d);
  const o3 = orientation(c, d, a);
  const o4 = orientation(c, d, b);
  if (o1 !== o2 && o3 !== o4) return true;
  return (
    (o1 === 0 && onSegment(a, b, c)) ||
    (o2 === 0 && onSegment(a, b, d)) ||
    (o3 === 0 && onSegment(c, d, a)) ||
    (o4 === 0 && onSegment(c, d, b))
  );
}
