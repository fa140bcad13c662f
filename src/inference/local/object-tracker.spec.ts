import {
  type Box,
  DEFAULT_TRACKER_OPTIONS,
  emptyTrackerState,
  iou,
  stepTracker,
  type TrackerDetection,
  type TrackerState,
  type TrackerStep,
} from './object-tracker';

const person = (x: number, y: number, confidence = 0.9, size = 0.1): TrackerDetection => ({
  label: 'person',
  confidence,
  box: { x, y, width: size, height: size * 2 },
});

/** Steps through frames one second apart, starting at t0; returns every step. */
function run(frames: TrackerDetection[][], start: TrackerState = emptyTrackerState(), t0 = 0): TrackerStep[] {
  const steps: TrackerStep[] = [];
  let state = start;
  frames.forEach((detections, i) => {
    const step = stepTracker(state, detections, t0 + i * 1000);
    steps.push(step);
    state = step.state;
  });
  return steps;
}

const ids = (step: TrackerStep) => step.objects.map((object) => object.trackId);

describe('iou', () => {
  it('is 1 for the same box, 0 for disjoint ones and the overlap share otherwise', () => {
    const box: Box = { x: 0.1, y: 0.1, width: 0.2, height: 0.2 };
    expect(iou(box, box)).toBeCloseTo(1, 12);
    expect(iou(box, { x: 0.5, y: 0.5, width: 0.1, height: 0.1 })).toBe(0);
    expect(iou(box, { x: 0.2, y: 0.1, width: 0.2, height: 0.2 })).toBeCloseTo(1 / 3, 6);
  });
});

describe('stepTracker', () => {
  it('follows one walking person under one id, confirmed from the second frame, with its speed', () => {
    const steps = run([0, 1, 2, 3, 4].map((i) => [person(0.1 + i * 0.05, 0.5)]));
    expect(steps[0]!.objects).toEqual([]); // tentative: one sighting is not yet an object
    for (const step of steps.slice(1)) expect(ids(step)).toEqual([1]);
    const track = steps[4]!.state.tracks[0]!;
    expect(track.state).toBe('confirmed');
    expect(track.velocity.x).toBeCloseTo(0.05, 2);
    expect(track.velocity.y).toBeCloseTo(0, 6);
  });

  it('never makes an object of a detection seen in one frame only', () => {
    const steps = run([[person(0.7, 0.1)], [], [], []]);
    expect(steps.flatMap((step) => step.objects)).toEqual([]);
    expect(steps[3]!.state.tracks).toEqual([]);
  });

  it('keeps two people apart when they walk past each other', () => {
    // A walks right, B walks left on the same line, a little lower; they pass at frame 4.
    const frames = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => [
      person(0.1 + i * 0.06, 0.5),
      person(0.58 - i * 0.06, 0.52),
    ]);
    const steps = run(frames);
    const last = steps[8]!;
    const byId = new Map(last.objects.map((object) => [object.trackId, object.box.x]));
    expect([...byId.keys()].sort()).toEqual([1, 2]);
    // Track 1 began on the left (A) and must now be on the right, where A went.
    expect(byId.get(1)).toBeCloseTo(0.58, 6);
    expect(byId.get(2)).toBeCloseTo(0.1, 6);
  });

  it('keeps the id through a frame where the detector is unsure (the second pass)', () => {
    const steps = run([
      [person(0.1, 0.5)],
      [person(0.12, 0.5)],
      [person(0.14, 0.5, 0.3)],
      [person(0.16, 0.5)],
    ]);
    expect(ids(steps[2]!)).toEqual([1]);
    expect(steps[2]!.objects[0]!.seen).toBe(true);
    expect(ids(steps[3]!)).toEqual([1]);
    expect(steps[3]!.state.nextId).toBe(2);
  });

  it('carries a hidden person by their motion and gives the id back when they reappear', () => {
    const frames = [
      [person(0.1, 0.5)],
      [person(0.15, 0.5)],
      [person(0.2, 0.5)],
      [], // behind a pillar for two frames
      [],
      [person(0.35, 0.5)],
    ];
    const steps = run(frames);
    expect(steps[3]!.objects).toEqual([
      expect.objectContaining({
        trackId: 1,
        seen: false,
        box: expect.objectContaining({ x: expect.closeTo(0.25, 2) }),
      }),
    ]);
    expect(steps[3]!.state.tracks[0]!.state).toBe('lost');
    expect(ids(steps[5]!)).toEqual([1]);
    expect(steps[5]!.objects[0]!.seen).toBe(true);
  });

  it('ends a track lost for longer than keepLostMs and starts a new id for whoever comes next', () => {
    const gone = Math.ceil(DEFAULT_TRACKER_OPTIONS.keepLostMs / 1000) + 1;
    const frames = [
      [person(0.1, 0.5)],
      [person(0.1, 0.5)],
      ...Array.from({ length: gone }, () => []),
      [person(0.1, 0.5)],
      [person(0.1, 0.5)],
    ];
    const steps = run(frames);
    expect(steps.flatMap((step) => step.ended)).toEqual([1]);
    expect(ids(steps[steps.length - 1]!)).toEqual([2]);
  });

  it('matches only boxes of the same label', () => {
    const bag = (x: number): TrackerDetection => ({
      label: 'handbag',
      confidence: 0.9,
      box: { x, y: 0.5, width: 0.1, height: 0.2 },
    });
    const steps = run([[person(0.1, 0.5)], [person(0.1, 0.5)], [bag(0.1)], [bag(0.1)]]);
    expect(steps[3]!.objects.map((object) => object.label)).toEqual(['person', 'handbag']);
    expect(ids(steps[3]!)).toEqual([1, 2]);
  });

  it('gives the same result when its state is saved as JSON between windows (or by another worker)', () => {
    const frames = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => [
      person(0.1 + i * 0.05, 0.5),
      person(0.8 - i * 0.04, 0.2),
    ]);
    const straight = run(frames);
    const firstWindow = run(frames.slice(0, 4));
    const restored = JSON.parse(JSON.stringify(firstWindow[3]!.state)) as TrackerState;
    const secondWindow = run(frames.slice(4), restored, 4000);
    expect(secondWindow.map(ids)).toEqual(straight.slice(4).map(ids));
    expect(secondWindow[3]!.state).toEqual(straight[7]!.state);
  });

  it('ignores a frame older than the last one it stepped', () => {
    const steps = run([[person(0.1, 0.5)], [person(0.1, 0.5)]]);
    const late = stepTracker(steps[1]!.state, [person(0.5, 0.5)], 500);
    expect(late.state).toBe(steps[1]!.state);
    expect(late.objects).toEqual([]);
  });

  it('follows a walker at one frame a second even when their boxes in two frames do not overlap', () => {
    // Box 0.05 wide, moving 0.08 a second: consecutive boxes are apart, the centres a body height or less.
    const frames = [0, 1, 2, 3, 4].map((i) => [person(0.1 + i * 0.08, 0.5, 0.9, 0.05)]);
    const steps = run(frames);
    expect(steps.slice(1).map(ids)).toEqual([[1], [1], [1], [1]]);
    expect(steps[4]!.state.nextId).toBe(2);
  });

  it('does not join two far-apart sightings into one track', () => {
    const steps = run([[person(0.05, 0.5)], [person(0.05, 0.5)], [person(0.9, 0.1)], [person(0.9, 0.1)]]);
    expect(ids(steps[3]!)).toEqual([1, 2]);
    expect(steps[3]!.objects.find((object) => object.trackId === 1)!.seen).toBe(false);
  });
});
