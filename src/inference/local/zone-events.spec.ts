import type { TrackedObject } from './object-tracker';
import {
  crossing,
  emptyZoneState,
  insidePolygon,
  type SceneRegion,
  stepZones,
  type Tripwire,
  type Zone,
  type ZoneEvent,
  type ZoneState,
} from './zone-events';

/** The lawn: the right half of the frame's lower part. */
const lawn: Zone = {
  kind: 'zone',
  id: 'lawn',
  name: 'Lawn',
  polygon: [
    { x: 0.5, y: 0.5 },
    { x: 1, y: 0.5 },
    { x: 1, y: 1 },
    { x: 0.5, y: 1 },
  ],
  labels: ['person'],
};
/** A vertical tripwire at x = 0.3, drawn from top to bottom. */
const gate: Tripwire = {
  kind: 'line',
  id: 'gate',
  name: 'Gate',
  from: { x: 0.3, y: 0 },
  to: { x: 0.3, y: 1 },
  labels: [],
};

/** A person whose feet stand at (x, y). */
const at = (trackId: number, x: number, y: number, label = 'person'): TrackedObject => ({
  trackId,
  label,
  confidence: 0.9,
  seen: true,
  box: { x: x - 0.05, y: y - 0.2, width: 0.1, height: 0.2 },
});

function play(
  frames: { objects: TrackedObject[]; ended?: number[] }[],
  regions: SceneRegion[] = [lawn, gate],
) {
  let state: ZoneState = emptyZoneState();
  const events: ZoneEvent[] = [];
  frames.forEach((frame, i) => {
    const step = stepZones(state, frame.objects, frame.ended ?? [], regions, i * 1000, { dwellMs: 5_000 });
    state = step.state;
    events.push(...step.events);
  });
  return { events, state };
}

describe('geometry', () => {
  it('tells inside from outside a polygon', () => {
    expect(insidePolygon({ x: 0.7, y: 0.7 }, lawn.polygon)).toBe(true);
    expect(insidePolygon({ x: 0.4, y: 0.7 }, lawn.polygon)).toBe(false);
    expect(insidePolygon({ x: 0.7, y: 0.4 }, lawn.polygon)).toBe(false);
  });

  it('sees a step across a tripwire with its direction, and not one that passes beside it', () => {
    expect(crossing(gate, { x: 0.2, y: 0.5 }, { x: 0.4, y: 0.5 })).toBe('to-left');
    expect(crossing(gate, { x: 0.4, y: 0.5 }, { x: 0.2, y: 0.5 })).toBe('to-right');
    expect(crossing(gate, { x: 0.2, y: 0.5 }, { x: 0.25, y: 0.5 })).toBeNull();
    const short: Tripwire = { ...gate, from: { x: 0.3, y: 0 }, to: { x: 0.3, y: 0.2 } };
    expect(crossing(short, { x: 0.2, y: 0.5 }, { x: 0.4, y: 0.5 })).toBeNull();
  });
});

describe('stepZones', () => {
  it('reports a walk across the lawn as enter then leave, at the frames it happened', () => {
    const { events } = play([
      { objects: [at(1, 0.4, 0.8)] },
      { objects: [at(1, 0.6, 0.8)] },
      { objects: [at(1, 0.8, 0.8)] },
      { objects: [at(1, 0.8, 0.45)] },
    ]);
    expect(events.filter((e) => e.regionId === 'lawn')).toEqual([
      { type: 'enter', trackId: 1, label: 'person', regionId: 'lawn', at: 1000 },
      { type: 'leave', trackId: 1, label: 'person', regionId: 'lawn', at: 3000 },
    ]);
  });

  it('does not fire for someone on the path next to the lawn, nor for a label the zone does not watch', () => {
    const { events } = play([
      { objects: [at(1, 0.45, 0.9), at(2, 0.7, 0.7, 'dog')] },
      { objects: [at(1, 0.45, 0.6), at(2, 0.8, 0.8, 'dog')] },
    ]);
    expect(events.filter((e) => e.regionId === 'lawn')).toEqual([]);
  });

  it("keeps feet wobbling on the lawn's edge on the side they came from, until clearly past it", () => {
    // The margin is 0.15 of the 0.2 box height: 0.03 either side of the edge at y = 0.5.
    const { events } = play(
      [0.48, 0.52, 0.49, 0.525, 0.56, 0.51, 0.48, 0.46].map((feet) => ({ objects: [at(1, 0.7, feet)] })),
    );
    expect(events.filter((e) => e.regionId === 'lawn')).toEqual([
      { type: 'enter', trackId: 1, label: 'person', regionId: 'lawn', at: 4000 },
      { type: 'leave', trackId: 1, label: 'person', regionId: 'lawn', at: 7000 },
    ]);
  });

  it('reports a dwell once per stay, counted from the entry', () => {
    const frames = Array.from({ length: 9 }, () => ({ objects: [at(1, 0.7, 0.7)] }));
    const { events } = play(frames);
    expect(events.filter((e) => e.type === 'dwell')).toEqual([
      { type: 'dwell', trackId: 1, label: 'person', regionId: 'lawn', at: 5000, since: 0 },
    ]);
  });

  it('reports each crossing of the tripwire with its direction, for any label', () => {
    const { events } = play([
      { objects: [at(1, 0.2, 0.4), at(2, 0.35, 0.3, 'bicycle')] },
      { objects: [at(1, 0.35, 0.4), at(2, 0.25, 0.3, 'bicycle')] },
      { objects: [at(1, 0.25, 0.4), at(2, 0.2, 0.3, 'bicycle')] },
    ]);
    expect(events.filter((e) => e.type === 'cross')).toEqual([
      { type: 'cross', trackId: 1, label: 'person', regionId: 'gate', at: 1000, direction: 'to-left' },
      { type: 'cross', trackId: 2, label: 'bicycle', regionId: 'gate', at: 1000, direction: 'to-right' },
      { type: 'cross', trackId: 1, label: 'person', regionId: 'gate', at: 2000, direction: 'to-right' },
    ]);
  });

  it('ends the stay of a track that ends inside a zone, and keeps a briefly unseen one in place', () => {
    const { events, state } = play([
      { objects: [at(1, 0.7, 0.7), at(2, 0.8, 0.8)] },
      { objects: [at(2, 0.8, 0.8)] }, // track 1 unseen this frame (not ended)
      { objects: [], ended: [2] },
    ]);
    expect(events.filter((e) => e.type === 'leave')).toEqual([
      { type: 'leave', trackId: 2, label: 'person', regionId: 'lawn', at: 2000 },
    ]);
    expect(Object.keys(state.tracks)).toEqual(['1']);
  });

  it('carries its state as JSON across a window boundary', () => {
    const frames = [0.4, 0.6, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8].map((x) => ({ objects: [at(1, x, 0.8)] }));
    const whole = play(frames).events;
    let state: ZoneState = emptyZoneState();
    const split: ZoneEvent[] = [];
    frames.forEach((frame, i) => {
      if (i === 4) state = JSON.parse(JSON.stringify(state)) as ZoneState;
      const step = stepZones(state, frame.objects, [], [lawn, gate], i * 1000, { dwellMs: 5_000 });
      state = step.state;
      split.push(...step.events);
    });
    expect(split).toEqual(whole);
    expect(whole.map((e) => e.type)).toEqual(['enter', 'dwell']);
  });

  it('reports a crowd when the count in a zone reaches crowdAt, once, and when it thins out', () => {
    const plaza: Zone = { ...lawn, id: 'plaza', labels: ['person'], crowdAt: 3 };
    const people = (n: number) => Array.from({ length: n }, (_, i) => at(i + 1, 0.6 + i * 0.05, 0.8));
    const { events } = play(
      [
        { objects: people(2) },
        { objects: people(3) },
        { objects: people(4) },
        { objects: people(2), ended: [3, 4] },
      ],
      [plaza],
    );
    expect(events.filter((e) => e.type === 'crowd' || e.type === 'crowd-end')).toEqual([
      { type: 'crowd', regionId: 'plaza', at: 1000, count: 3, trackIds: [1, 2, 3] },
      { type: 'crowd-end', regionId: 'plaza', at: 3000, count: 2, trackIds: [1, 2] },
    ]);
  });
});
