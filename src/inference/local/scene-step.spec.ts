import type { FrameDetection } from './frame-detector';
import { buildSceneResult, type SceneWindowFrame } from './scene-result';
import {
  DEFAULT_SCENE_OPTIONS,
  emptySceneState,
  planDetections,
  stepScene,
  type SceneEvent,
  type SceneState,
} from './scene-step';
import type { SceneRegion } from './zone-events';

/** The lawn: the lower half of the frame. */
const lawn: SceneRegion = {
  kind: 'zone',
  id: 'z1',
  name: 'lawn',
  labels: ['person'],
  polygon: [
    { x: 0, y: 0.5 },
    { x: 1, y: 0.5 },
    { x: 1, y: 1 },
    { x: 0, y: 1 },
  ],
  dwellSeconds: 5,
  severity: 'high',
};

const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);

function person(x: number, feetY: number): FrameDetection {
  return {
    objects: [{ label: 'person', confidence: 0.8, box: { x, y: feetY - 0.2, width: 0.06, height: 0.2 } }],
    nsfw: [],
    width: 448,
    height: 336,
  };
}

const objectsPlanned = (...args: Parameters<typeof planDetections>) =>
  planDetections(...args).map((parts) => parts.objects);

/** Steps the scene through frames twice a second; `null` frames are ones the detector skipped. */
function play(state: SceneState, detections: (FrameDetection | null)[], from = 0, version = 1) {
  const events: SceneEvent[] = [];
  const frames: SceneWindowFrame[] = [];
  for (const [index, detection] of detections.entries()) {
    const at = T0 + (from + index) * 500;
    const output = stepScene(state, { at, detection, nsfw: detection?.nsfw ?? null }, [lawn], version);
    state = output.state;
    events.push(...output.events);
    frames.push({
      capturedAt: new Date(at),
      objects: output.objects,
      nsfw: output.nsfw,
      detected: detection !== null,
      stepped: output.stepped,
    });
  }
  return { state, events, frames };
}

describe('stepScene', () => {
  it('follows a person from the path onto the lawn, and reports the stay there as loitering once', () => {
    // Walks down from the path (feet at 0.3) onto the lawn (feet at 0.6), then stands there.
    const walk = [0.3, 0.35, 0.4, 0.45, 0.52, 0.6].map((feet) => person(0.5, feet));
    const stand = Array.from({ length: 14 }, () => person(0.5, 0.6));
    const { events, state } = play(emptySceneState(1), [...walk, ...stand]);
    expect(events.map((event) => [event.type, event.zone, event.trackIds])).toEqual([
      ['enter', 'lawn', [1]],
      ['dwell', 'lawn', [1]],
    ]);
    const [enter, dwell] = events;
    // Feet 0.02 past the edge (frame 4) are still on it: the margin is 0.15 of the 0.2 box height.
    expect(enter!.start).toBe(T0 + 5 * 500);
    expect(dwell!.severity).toBe('high'); // the zone's own severity
    expect(dwell!.seconds).toBe(5);
    expect(dwell!.end - dwell!.start).toBe(5_000);
    expect(state.tracks['1']!.dwellMs.z1).toBeGreaterThanOrEqual(5_000);
    // The whole state is plain JSON: it survives a trip through Redis unchanged.
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });

  it('carries tracks over frames the detector skipped, so a still person keeps their id and dwell time', () => {
    const first = play(emptySceneState(1), [person(0.5, 0.6), person(0.5, 0.6), person(0.5, 0.6)]);
    // Nothing moves for 6 s: no detections at all, yet the track neither ends nor leaves.
    const skipped = play(
      first.state,
      Array.from({ length: 12 }, () => null),
      3,
    );
    expect(skipped.events.map((event) => event.type)).toEqual(['dwell']);
    expect(skipped.frames.every((frame) => frame.objects.map((o) => o.trackId).join() === '1')).toBe(true);
    // And when the detector looks again, it is still track 1.
    const again = play(skipped.state, [person(0.5, 0.6)], 15);
    expect(again.frames[0]!.objects.map((object) => object.trackId)).toEqual([1]);
  });

  it('continues across windows: frames already stepped are not stepped again, ids stay', () => {
    const detections = [0.3, 0.35, 0.4, 0.45, 0.52, 0.6, 0.6, 0.6].map((feet) => person(0.5, feet));
    const window1 = play(emptySceneState(1), detections.slice(0, 6));
    // The next window overlaps the last two frames of the first.
    const window2 = play(window1.state, detections.slice(4), 4);
    expect(window2.frames.map((frame) => frame.stepped)).toEqual([false, false, true, true]);
    expect(window1.events.map((event) => event.type)).toEqual(['enter']);
    expect(window2.events).toEqual([]); // the entry is not reported twice
    expect(window2.frames[3]!.objects[0]!.trackId).toBe(1);
  });

  it('starts the zone bookkeeping afresh when the zones are redrawn, keeping the tracks', () => {
    const before = play(
      emptySceneState(1),
      [0.6, 0.6, 0.6].map((feet) => person(0.5, feet)),
    );
    expect(before.events.map((event) => event.type)).toEqual(['enter']);
    const after = play(before.state, [person(0.5, 0.6)], 3, 2);
    expect(after.events.map((event) => event.type)).toEqual(['enter']);
    expect(after.state.sceneVersion).toBe(2);
    expect(after.frames[0]!.objects[0]!.trackId).toBe(1);
  });

  it('plans the detector where motion is new, at least once a second while it is explained, and every 10 s when still', () => {
    const walking = play(emptySceneState(1), [person(0.3, 0.6), person(0.4, 0.6)]).state;
    const at = (i: number) => T0 + 500 + i * 500;
    // Motion where person #1 walks on (its predicted box): explained; the detector looks every second.
    const walker = (i: number) => ({ x: 0.4 + 0.1 * i, y: 0.4, width: 0.06, height: 0.2 });
    const explained = [1, 2, 3, 4].map((i) => ({ at: at(i), boxes: [walker(i)], reset: false }));
    expect(objectsPlanned(walking, explained)).toEqual([false, true, false, true]);
    // Motion far from every track: a newcomer, the detector looks at once.
    const elsewhere = { x: 0.02, y: 0.05, width: 0.05, height: 0.1 };
    expect(objectsPlanned(walking, [{ at: at(1), boxes: [elsewhere], reset: false }])).toEqual([true]);
    // Nothing moves: carried, until the 10 s refresh; a reset always looks.
    const still = [1, 2, 3].map((i) => ({ at: at(i), boxes: [], reset: false }));
    expect(objectsPlanned(walking, still)).toEqual([false, false, false]);
    expect(objectsPlanned(walking, [{ at: T0 + 11_000, boxes: [], reset: false }])).toEqual([true]);
    expect(objectsPlanned(walking, [{ at: at(1), boxes: [], reset: true }])).toEqual([true]);
    expect(objectsPlanned(emptySceneState(1), [{ at: T0, boxes: [], reset: false }])).toEqual([true]);
  });

  it('plans the NSFW classifier on the first frame, after a whole-picture change, and every 3 s between', () => {
    const frames = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => ({ at: T0 + i * 1000, boxes: [], reset: i === 5 }));
    const plan = planDetections(emptySceneState(1), frames);
    expect(plan.map((parts) => parts.nsfw)).toEqual([true, false, false, true, false, true, false, false]);
    // The cadence continues from the last window's classified frame.
    const classified = { ...emptySceneState(1), lastFrameAt: T0, lastNsfwAt: T0 };
    const next = planDetections(
      classified,
      [1, 2, 3].map((i) => ({ at: T0 + i * 1000, boxes: [], reset: false })),
    );
    expect(next.map((parts) => parts.nsfw)).toEqual([false, false, true]);
    // A state saved before the cadence existed has no lastNsfwAt: its first frame is classified.
    const { lastNsfwAt: _dropped, ...older } = classified;
    expect(planDetections(older, [{ at: T0 + 1000, boxes: [], reset: false }])[0]!.nsfw).toBe(true);
    // An interval of 0 (LOCAL_NSFW_INTERVAL_MS=0) classifies every frame.
    const everyFrame = planDetections(emptySceneState(1), frames, {
      ...DEFAULT_SCENE_OPTIONS,
      nsfwIntervalMs: 0,
    });
    expect(everyFrame.every((parts) => parts.nsfw)).toBe(true);
  });

  it('carries the last NSFW classes over frames the classifier skipped, and takes new ones when it looks', () => {
    const porn = [{ className: 'Porn' as const, probability: 0.9 }];
    const neutral = [{ className: 'Neutral' as const, probability: 0.95 }];
    let state = emptySceneState(1);
    const seen: string[] = [];
    for (const [index, nsfw] of [porn, null, null, neutral, null].entries()) {
      const output = stepScene(state, { at: T0 + index * 1000, detection: null, nsfw }, [lawn], 1);
      state = output.state;
      seen.push(output.nsfw[0]!.className);
    }
    expect(seen).toEqual(['Porn', 'Porn', 'Porn', 'Neutral', 'Neutral']);
    expect(state.lastNsfwAt).toBe(T0 + 3000);
  });

  it('carries a walking track by its motion where the detector was skipped, and keeps its id', () => {
    const walk = play(emptySceneState(1), [person(0.3, 0.6), person(0.35, 0.6)]);
    const skipped = play(walk.state, [null], 2);
    expect(skipped.frames[0]!.objects[0]!.box.x).toBeCloseTo(0.4, 5);
    const seen = play(skipped.state, [person(0.45, 0.6)], 3);
    expect(seen.frames[0]!.objects.map((object) => object.trackId)).toEqual([1]);
  });
});

describe('buildSceneResult', () => {
  it('turns loitering on the lawn into an action, an anomaly, a causal chain and a verdict', () => {
    const walk = [0.3, 0.35, 0.4, 0.45, 0.52, 0.6].map((feet) => person(0.5, feet));
    const first = play(emptySceneState(1), walk);
    const second = play(
      first.state,
      Array.from({ length: 12 }, () => person(0.5, 0.6)),
      6,
    );
    const result = buildSceneResult({
      frames: second.frames,
      events: second.events,
      state: second.state,
      regions: [lawn],
      sceneVersion: 1,
      nsfwThreshold: 0.7,
    });
    expect(result.events).toHaveLength(1);
    expect(result.events[0]).toMatchObject({
      type: 'dwell',
      zone: 'lawn',
      trackIds: [1],
      seconds: 5,
      severity: 'high',
    });
    expect(result.actions).toEqual([
      expect.objectContaining({ actor: 'person #1', action: 'loiters in', target: 'lawn' }),
    ]);
    expect(result.anomalies[0]).toMatchObject({ type: 'loitering:lawn', severity: 'high' });
    expect(result.verdict).toBe('violation');
    expect(result.confidence).toBeCloseTo(0.8, 4);
    // The chain starts where the track was first seen and goes through its entry (from the first window).
    expect(result.causalChain.map((link) => link.effect)).toEqual([
      'person #1 entered "lawn" at 12:00:02',
      'person #1 stayed 5 s in "lawn" (since 12:00:02): loitering',
    ]);
    expect(result.causalChain[0]!.cause).toBe('person #1 appeared at 12:00:00');
    expect(result.rootCause).toBe(
      'person #1 appeared at 12:00:00 -> person #1 entered "lawn" at 12:00:02 -> person #1 stayed 5 s in "lawn" (since 12:00:02): loitering',
    );
    expect(result.tracks).toEqual([expect.objectContaining({ id: 1, label: 'person', zones: ['lawn'] })]);
    expect(result.objects[0]!.boxes![0]!.track).toBe(1);
    expect(result.trace.at(-1)).toMatch(/^Conclusion: 1 anomaly, verdict violation/);
    expect(result.sceneVersion).toBe(1);
  });

  it('says safe, with an empty chain, when people only pass', () => {
    const walk = [0.1, 0.2, 0.3, 0.4].map((x) => person(x, 0.3));
    const { frames, events, state } = play(emptySceneState(1), walk);
    const result = buildSceneResult({
      frames,
      events,
      state,
      regions: [lawn],
      sceneVersion: 1,
      nsfwThreshold: 0.7,
    });
    expect(result.verdict).toBe('safe');
    expect(result.anomalies).toEqual([]);
    expect(result.causalChain).toEqual([]);
    expect(result.rootCause).toBe('');
  });
});
