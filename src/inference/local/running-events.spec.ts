import { emptyTrackerState, stepTracker, type TrackerDetection, type TrackerState } from './object-tracker';
import { emptyRunState, type RunEvent, type RunState, stepRunning } from './running-events';

/** A person of the given box height whose box moves `step` frame widths a second, seen twice a second. */
function walk(height: number, step: number, seconds: number, label = 'person'): RunEvent[] {
  let tracker: TrackerState = emptyTrackerState();
  let runs: RunState = emptyRunState();
  const events: RunEvent[] = [];
  for (let i = 0; i < seconds * 2; i += 1) {
    const detection: TrackerDetection = {
      label,
      confidence: 0.9,
      box: { x: 0.05 + (i * step) / 2, y: 0.3, width: height / 2, height },
    };
    const tracked = stepTracker(tracker, [detection], i * 500);
    tracker = tracked.state;
    const step2 = stepRunning(runs, tracker.tracks, i * 500);
    runs = step2.state;
    events.push(...step2.events);
  }
  return events;
}

describe('stepRunning', () => {
  it('does not call a walk running, near the camera or far from it', () => {
    expect(walk(0.4, 0.2, 5)).toEqual([]); // close and large: half a body height a second
    expect(walk(0.1, 0.06, 8)).toEqual([]); // far and small
  });

  it('reports a run once, when it starts, with the speed in body heights per second', () => {
    const events = walk(0.1, 0.25, 4); // a small figure crossing a quarter of the frame each second
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'run', trackId: 1, label: 'person', at: 500 });
    expect(events[0]!.speed).toBeCloseTo(2.5, 6);
  });

  it('ignores labels that do not run', () => {
    expect(walk(0.1, 0.25, 4, 'car')).toEqual([]);
  });
});
