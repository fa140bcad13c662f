import type { Track } from './object-tracker';
import {
  emptyPostureState,
  stepPosture,
  type FallEvent,
  type LeftBehindEvent,
  type PostureState,
} from './posture-events';

function track(id: number, label: string, box: Track['box'], at: number, velocity = { x: 0, y: 0 }): Track {
  return {
    id,
    label,
    state: 'confirmed',
    box,
    velocity,
    confidence: 0.8,
    hits: 5,
    firstSeenAt: 0,
    lastSeenAt: at,
  };
}

function run(frames: { at: number; tracks: Track[] }[]): (FallEvent | LeftBehindEvent)[] {
  let state: PostureState = emptyPostureState();
  const events: (FallEvent | LeftBehindEvent)[] = [];
  for (const frame of frames) {
    const step = stepPosture(state, frame.tracks, frame.at);
    state = step.state;
    events.push(...step.events);
  }
  return events;
}

describe('stepPosture: falls', () => {
  const standing = { x: 0.4, y: 0.3, width: 0.08, height: 0.25 };
  const lying = { x: 0.35, y: 0.48, width: 0.25, height: 0.08 };

  it('reports a tall box that turns wide and stays so for a second, once', () => {
    const frames = [0, 500, 1000].map((at) => ({ at, tracks: [track(1, 'person', standing, at)] }));
    for (const at of [1500, 2000, 2500, 3000, 3500])
      frames.push({ at, tracks: [track(1, 'person', lying, at)] });
    const events = run(frames);
    expect(events).toEqual([{ type: 'fall', trackId: 1, label: 'person', since: 1500, at: 2500 }]);
  });

  it('does not call a short bend a fall, nor a box that was never upright', () => {
    const bend = [
      ...[0, 500].map((at) => ({ at, tracks: [track(1, 'person', standing, at)] })),
      { at: 1000, tracks: [track(1, 'person', lying, 1000)] },
      ...[1500, 2000, 2500].map((at) => ({ at, tracks: [track(1, 'person', standing, at)] })),
    ];
    expect(run(bend)).toEqual([]);
    const alwaysWide = [0, 500, 1000, 1500, 2000].map((at) => ({
      at,
      tracks: [track(2, 'person', lying, at)],
    }));
    expect(run(alwaysWide)).toEqual([]);
    const car = [
      { at: 0, tracks: [track(3, 'car', standing, 0)] },
      ...[500, 1000, 1500, 2000].map((at) => ({ at, tracks: [track(3, 'car', lying, at)] })),
    ];
    expect(run(car)).toEqual([]);
  });
});

describe('stepPosture: objects left behind', () => {
  const bag = { x: 0.5, y: 0.6, width: 0.04, height: 0.05 };
  const besideBag = (x: number) => ({ x, y: 0.4, width: 0.06, height: 0.25 });

  it('reports a still bag once its owner has been gone for the unattended time', () => {
    const frames: { at: number; tracks: Track[] }[] = [];
    // The owner stands beside the bag for 3 s, then walks away and leaves the frame at 6 s.
    for (let at = 0; at <= 3000; at += 500) {
      frames.push({ at, tracks: [track(1, 'person', besideBag(0.48), at), track(2, 'suitcase', bag, at)] });
    }
    for (let at = 3500; at <= 6000; at += 500) {
      const x = 0.48 + ((at - 3000) / 1000) * 0.15;
      frames.push({
        at,
        tracks: [track(1, 'person', besideBag(x), at, { x: 0.15, y: 0 }), track(2, 'suitcase', bag, at)],
      });
    }
    for (let at = 6500; at <= 20_000; at += 500) frames.push({ at, tracks: [track(2, 'suitcase', bag, at)] });
    const events = run(frames);
    expect(events).toHaveLength(1);
    const event = events[0] as LeftBehindEvent;
    expect(event).toMatchObject({ type: 'left-behind', trackId: 2, label: 'suitcase', ownerId: 1 });
    // Unattended from when the owner was more than three bag heights (and 0.1) away.
    expect(event.since).toBeGreaterThanOrEqual(3500);
    expect(event.since).toBeLessThanOrEqual(5000);
    expect(event.at - event.since).toBe(10_000);
  });

  it('does not report a bag whose owner stays beside it, nor one being carried', () => {
    const attended: { at: number; tracks: Track[] }[] = [];
    for (let at = 0; at <= 20_000; at += 500) {
      attended.push({ at, tracks: [track(1, 'person', besideBag(0.48), at), track(2, 'backpack', bag, at)] });
    }
    expect(run(attended)).toEqual([]);
    const carried: { at: number; tracks: Track[] }[] = [];
    for (let at = 0; at <= 20_000; at += 500) {
      const moving = { ...bag, x: 0.1 + at / 40_000 };
      carried.push({ at, tracks: [track(2, 'backpack', moving, at, { x: 0.025, y: 0 })] });
    }
    // 0.025 frame a second is half the bag's height a second: moving, not left.
    expect(run(carried)).toEqual([]);
  });
});
