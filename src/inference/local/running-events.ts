import type { Track } from './object-tracker';

/** A tracked object moving faster than a walk, from when it started running. */
export interface RunEvent {
  type: 'run';
  trackId: number;
  label: string;
  at: number;
  /** Body heights per second: the speed the way a person sees it, whatever the distance to the camera. */
  speed: number;
}

export interface RunOptions {
  /** Labels that can run (a parked car's jitter is not running). */
  labels: string[];
  /** Body heights per second above which a track runs: a walk is under about 1, a run 2 or more. */
  minSpeed: number;
}

export const DEFAULT_RUN_OPTIONS: RunOptions = { labels: ['person'], minSpeed: 1.8 };

/** Tracks running now: one event when a run starts; a track is running again only after it slowed. */
export interface RunState {
  running: number[];
}

export const emptyRunState = (): RunState => ({ running: [] });

/** A track's speed in its own body heights per second (its box's height in the frame). */
export function bodySpeed(track: Track): number {
  const height = Math.max(track.box.height, 1e-6);
  return Math.hypot(track.velocity.x, track.velocity.y) / height;
}

/**
 * Running, from the tracker's smoothed velocities: speed is scaled by the box's height, so a
 * runner far from the camera (small, slow across the frame) and a walker close to it (large, fast
 * across the frame) are told apart. Only confirmed tracks seen in this frame count.
 */
export function stepRunning(
  state: RunState,
  tracks: Track[],
  at: number,
  options: RunOptions = DEFAULT_RUN_OPTIONS,
): { state: RunState; events: RunEvent[] } {
  const events: RunEvent[] = [];
  const running: number[] = [];
  for (const track of tracks) {
    if (track.state !== 'confirmed' || track.lastSeenAt !== at || !options.labels.includes(track.label)) {
      // Unseen for a moment: keep what we knew until it is seen again.
      if (state.running.includes(track.id) && track.state === 'lost') running.push(track.id);
      continue;
    }
    const speed = bodySpeed(track);
    if (speed < options.minSpeed) continue;
    running.push(track.id);
    if (!state.running.includes(track.id)) {
      events.push({ type: 'run', trackId: track.id, label: track.label, at, speed });
    }
  }
  return { state: { running }, events };
}
