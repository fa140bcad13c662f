import type { CrossDirection, Point, SceneRegion, Tripwire, Zone } from '../../scene/scene-region';
import type { Box, TrackedObject } from './object-tracker';

// The scene's shapes are defined with the API that stores them; the analyser reads the same types.
export type { CrossDirection, Point, SceneRegion, Severity, Tripwire, Zone } from '../../scene/scene-region';

export type ZoneEvent =
  | { type: 'enter' | 'leave'; trackId: number; label: string; regionId: string; at: number }
  | { type: 'dwell'; trackId: number; label: string; regionId: string; at: number; since: number }
  | {
      /** wrong-way: a crossing against the line's allowed direction (reported with its cross). */
      type: 'cross' | 'wrong-way';
      trackId: number;
      label: string;
      regionId: string;
      at: number;
      direction: CrossDirection;
    }
  /** A crowd formed in the zone (its count reached crowdAt), or thinned out again. */
  | { type: 'crowd' | 'crowd-end'; regionId: string; at: number; count: number; trackIds: number[] };

/** Which zones each track is in and since when, and where each track stood last: plain JSON. */
export interface ZoneState {
  tracks: Record<
    string,
    {
      label: string;
      at: number;
      point: Point;
      inside: Record<string, { since: number; dwelt: boolean }>;
      /**
       * Per line, where the object last stood clearly on one side of it (beyond lineMargin): a
       * crossing counts from there, so feet wobbling on the line are not a crossing every frame.
       */
      settled?: Record<string, Point>;
    }
  >;
  /** Zones with a crowd now, and since when. */
  crowds: Record<string, { since: number }>;
}

export interface ZoneOptions {
  /** Staying in a zone this long is a dwell event (once per stay), unless the zone sets its own. */
  dwellMs: number;
  /** Distance from a line (frame fractions) within which an object is on it, not past it. Default 0.01. */
  lineMargin?: number;
}

/**
 * Feet near a zone's edge neither enter nor leave it: the track keeps the side it was on. The
 * margin is this fraction of the object's box height (a box's bottom wobbles by about that much
 * from one detection to the next, more for a near person than a far one), and at least lineMargin.
 * Someone walking along the edge of a lawn is not stepping on and off it every frame.
 */
const ZONE_EDGE_MARGIN_OF_HEIGHT = 0.15;

export const emptyZoneState = (): ZoneState => ({ tracks: {}, crowds: {} });

/** Where an object stands: the bottom centre of its box (its feet, for a person on the ground). */
export function anchorOf(box: Box): Point {
  return { x: box.x + box.width / 2, y: box.y + box.height };
}

/** Ray casting: whether the point lies inside the polygon (a point on an edge may go either way). */
export function insidePolygon(point: Point, polygon: Point[]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i, i += 1) {
    const a = polygon[i]!;
    const b = polygon[j]!;
    if (a.y > point.y !== b.y > point.y && point.x < ((b.x - a.x) * (point.y - a.y)) / (b.y - a.y) + a.x) {
      inside = !inside;
    }
  }
  return inside;
}

/** Which side of the line from `from` to `to` the point is on: positive left, negative right (y grows downwards). */
function side(line: Tripwire, point: Point): number {
  return (
    (line.to.x - line.from.x) * (line.from.y - point.y) - (line.to.y - line.from.y) * (line.from.x - point.x)
  );
}

/** Distance of a point from the nearest edge of a polygon, in frame fractions. */
function distanceFromEdge(polygon: Point[], point: Point): number {
  let nearest = Infinity;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i, i += 1) {
    const a = polygon[j]!;
    const b = polygon[i]!;
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const lengthSquared = dx * dx + dy * dy;
    const t =
      lengthSquared === 0
        ? 0
        : Math.min(1, Math.max(0, ((point.x - a.x) * dx + (point.y - a.y) * dy) / lengthSquared));
    nearest = Math.min(nearest, Math.hypot(point.x - (a.x + t * dx), point.y - (a.y + t * dy)));
  }
  return nearest;
}

/** Distance of a point from the line through the tripwire, in frame fractions. */
function distanceFromLine(line: Tripwire, point: Point): number {
  const length = Math.hypot(line.to.x - line.from.x, line.to.y - line.from.y);
  return length === 0 ? 0 : Math.abs(side(line, point)) / length;
}

/** Whether the step from `before` to `after` crosses the tripwire's segment, and towards which side. */
export function crossing(line: Tripwire, before: Point, after: Point): CrossDirection | null {
  const s1 = side(line, before);
  const s2 = side(line, after);
  if (s1 === 0 || s2 === 0 || s1 > 0 === s2 > 0) return null;
  // The object's step must also straddle the line's own endpoints, or it passed beside the wire.
  const stepLine: Tripwire = { ...line, from: before, to: after };
  const e1 = side(stepLine, line.from);
  const e2 = side(stepLine, line.to);
  if (e1 !== 0 && e2 !== 0 && e1 > 0 === e2 > 0) return null;
  return s2 > 0 ? 'to-left' : 'to-right';
}

const appliesTo = (region: SceneRegion, label: string) =>
  region.labels.length === 0 || region.labels.includes(label);

/**
 * Turns one frame of tracked objects into zone and line events: entering or leaving a zone (also
 * leaving when the track ends inside it), dwelling in a zone past `dwellMs` (once per stay), and
 * crossing a tripwire between the last frame and this one, with the direction; a crowd forming in a
 * zone that watches for one, and ending. Pure; the state is the stream's and carries across windows
 * with the tracker's.
 */
export function stepZones(
  state: ZoneState,
  objects: TrackedObject[],
  endedTrackIds: number[],
  regions: SceneRegion[],
  at: number,
  options: ZoneOptions,
): { state: ZoneState; events: ZoneEvent[] } {
  const events: ZoneEvent[] = [];
  const tracks: ZoneState['tracks'] = {};
  for (const object of objects) {
    const key = String(object.trackId);
    const previous = state.tracks[key];
    if (!object.seen) {
      // Not seen in this frame (its box is a guess from its motion, or it stands where it stood):
      // it enters, leaves and crosses nothing, but a stay goes on and may become a dwell.
      if (previous) {
        tracks[key] = {
          ...previous,
          at,
          inside: stillInside(object.trackId, previous, regions, at, options, events),
        };
      }
      continue;
    }
    const point = anchorOf(object.box);
    const inside: ZoneState['tracks'][string]['inside'] = {};
    const settled: Record<string, Point> = {};
    for (const region of regions) {
      if (!appliesTo(region, object.label)) continue;
      const base = { trackId: object.trackId, label: object.label, regionId: region.id, at };
      if (region.kind === 'line') {
        const from = previous?.settled?.[region.id];
        const clear = distanceFromLine(region, point) > (options.lineMargin ?? 0.01);
        const direction = from && clear ? crossing(region, from, point) : null;
        const stands = clear ? point : from;
        if (stands) settled[region.id] = stands;
        if (direction) events.push({ ...base, type: 'cross', direction });
        if (direction && region.allowedDirection && direction !== region.allowedDirection) {
          events.push({ ...base, type: 'wrong-way', direction });
        }
        continue;
      }
      const was = previous?.inside[region.id];
      const margin = Math.max(options.lineMargin ?? 0.01, ZONE_EDGE_MARGIN_OF_HEIGHT * object.box.height);
      const onEdge = distanceFromEdge(region.polygon, point) <= margin;
      if (onEdge ? !was : !insidePolygon(point, region.polygon)) {
        if (was) events.push({ ...base, type: 'leave' });
        continue;
      }
      if (!was) events.push({ ...base, type: 'enter' });
      inside[region.id] = stayed(was ?? { since: at, dwelt: false }, region, base, options, events);
    }
    tracks[key] = { label: object.label, at, point, inside, settled };
  }
  for (const trackId of endedTrackIds) {
    const previous = state.tracks[String(trackId)];
    if (!previous) continue;
    for (const regionId of Object.keys(previous.inside)) {
      events.push({ type: 'leave', trackId, label: previous.label, regionId, at });
    }
  }
  // Tracks neither seen nor ended (briefly lost) keep their place until they come back or end.
  const ended = new Set(endedTrackIds.map(String));
  for (const [key, previous] of Object.entries(state.tracks)) {
    if (!(key in tracks) && !ended.has(key)) tracks[key] = previous;
  }
  const crowds = crowdsOf(state.crowds ?? {}, tracks, regions, at, events);
  return { state: { tracks, crowds }, events };
}

/** A stay in a zone one frame on: a dwell event (once) when it has lasted the zone's loitering time. */
function stayed(
  stay: { since: number; dwelt: boolean },
  zone: Zone,
  event: { trackId: number; label: string; regionId: string; at: number },
  options: ZoneOptions,
  events: ZoneEvent[],
): { since: number; dwelt: boolean } {
  const dwellMs = zone.dwellSeconds !== undefined ? zone.dwellSeconds * 1000 : options.dwellMs;
  if (stay.dwelt || event.at - stay.since < dwellMs) return stay;
  events.push({ ...event, type: 'dwell', since: stay.since });
  return { since: stay.since, dwelt: true };
}

/** The stays of a track that was not seen in this frame, each checked for a dwell. */
function stillInside(
  trackId: number,
  previous: ZoneState['tracks'][string],
  regions: SceneRegion[],
  at: number,
  options: ZoneOptions,
  events: ZoneEvent[],
): ZoneState['tracks'][string]['inside'] {
  const inside: ZoneState['tracks'][string]['inside'] = {};
  for (const [regionId, stay] of Object.entries(previous.inside)) {
    const region = regions.find((candidate) => candidate.id === regionId);
    if (!region || region.kind !== 'zone') continue;
    inside[regionId] = stayed(
      stay,
      region,
      { trackId, label: previous.label, regionId, at },
      options,
      events,
    );
  }
  return inside;
}

/**
 * Counts the tracks in each zone that watches for crowds (briefly unseen ones included, so a
 * crowd does not flicker when one person is hidden) and reports a crowd forming or ending.
 */
function crowdsOf(
  before: ZoneState['crowds'],
  tracks: ZoneState['tracks'],
  regions: SceneRegion[],
  at: number,
  events: ZoneEvent[],
): ZoneState['crowds'] {
  const crowds: ZoneState['crowds'] = {};
  for (const region of regions) {
    if (region.kind !== 'zone' || !region.crowdAt) continue;
    const trackIds = Object.entries(tracks)
      .filter(([, track]) => region.id in track.inside)
      .map(([key]) => Number(key))
      .sort((a, b) => a - b);
    const count = trackIds.length;
    const was = before[region.id];
    if (count >= region.crowdAt) {
      crowds[region.id] = was ?? { since: at };
      if (!was) events.push({ type: 'crowd', regionId: region.id, at, count, trackIds });
    } else if (was) {
      events.push({ type: 'crowd-end', regionId: region.id, at, count, trackIds });
    }
  }
  return crowds;
}
