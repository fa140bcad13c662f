import type { Track } from './object-tracker';
import { bodySpeed } from './running-events';

/**
 * Two events a fixed camera sees from a track's box alone, without a model of the body:
 * - a fall: a person's box that stood tall turns wide and stays low for a moment;
 * - an object left behind: a bag-like object stands still, and the person who was beside it when it
 *   appeared has gone (ended, or walked away) for long enough.
 * Pure, with plain-JSON state carried across windows like the tracker's.
 */

export interface FallEvent {
  type: 'fall';
  trackId: number;
  label: string;
  /** When the box turned wide. */
  since: number;
  at: number;
}

export interface LeftBehindEvent {
  type: 'left-behind';
  /** The object that stayed. */
  trackId: number;
  label: string;
  /** The person who was beside it when it appeared, if any. */
  ownerId: number | null;
  /** Since when nobody was near it. */
  since: number;
  at: number;
}

export interface PostureOptions {
  /** Labels whose box can fall (a person's). */
  fallLabels: string[];
  /** Height over width at or above which a box stands upright. */
  uprightRatio: number;
  /** Width over height at or above which a box lies. */
  lyingRatio: number;
  /** How long a box must stay lying before it is a fall (a bend to tie a shoe is shorter). */
  fallConfirmMs: number;
  /** Labels that can be left behind. */
  leftBehindLabels: string[];
  /** Labels that own and carry such objects. */
  ownerLabels: string[];
  /** How long an object must be unattended, standing still, to be left behind. */
  leftBehindMs: number;
  /** A person within this many of the object's own heights (and at least 0.1 of the frame) attends it. */
  attendDistance: number;
  /** Slower than this (body heights a second) is standing still. */
  stillSpeed: number;
}

export const DEFAULT_POSTURE_OPTIONS: PostureOptions = {
  fallLabels: ['person'],
  uprightRatio: 1.3,
  lyingRatio: 1.1,
  fallConfirmMs: 1_000,
  leftBehindLabels: ['backpack', 'handbag', 'suitcase', 'umbrella', 'sports ball'],
  ownerLabels: ['person'],
  leftBehindMs: 10_000,
  attendDistance: 3,
  stillSpeed: 0.3,
};

export interface PostureState {
  /** Tracks that have been seen upright (only they can fall). */
  upright: number[];
  /** Tracks lying now, since when, and whether their fall was reported. */
  lying: Record<string, { since: number; reported: boolean }>;
  /** Objects that may be left behind: who brought them, since when unattended, whether reported. */
  objects: Record<string, { ownerId: number | null; unattendedSince: number | null; reported: boolean }>;
}

export const emptyPostureState = (): PostureState => ({ upright: [], lying: {}, objects: {} });

const centre = (track: Track) => ({
  x: track.box.x + track.box.width / 2,
  y: track.box.y + track.box.height / 2,
});

const distance = (a: Track, b: Track) => {
  const p = centre(a);
  const q = centre(b);
  return Math.hypot(p.x - q.x, p.y - q.y);
};

/** Steps falls and left-behind objects over the tracker's tracks seen in the frame at `at`. */
export function stepPosture(
  state: PostureState,
  tracks: Track[],
  at: number,
  options: PostureOptions = DEFAULT_POSTURE_OPTIONS,
): { state: PostureState; events: (FallEvent | LeftBehindEvent)[] } {
  const events: (FallEvent | LeftBehindEvent)[] = [];
  const live = new Map(
    tracks.filter((track) => track.state !== 'tentative').map((track) => [track.id, track]),
  );
  const seenNow = [...live.values()].filter(
    (track) => track.lastSeenAt === at && track.state === 'confirmed',
  );

  const upright = new Set(state.upright.filter((id) => live.has(id)));
  const lying: PostureState['lying'] = {};
  for (const track of seenNow) {
    if (!options.fallLabels.includes(track.label)) continue;
    const { width, height } = track.box;
    if (height >= width * options.uprightRatio) {
      upright.add(track.id);
      continue;
    }
    if (!upright.has(track.id) || width < height * options.lyingRatio) continue;
    const was = state.lying[String(track.id)] ?? { since: at, reported: false };
    const fallen = !was.reported && at - was.since >= options.fallConfirmMs;
    if (fallen) events.push({ type: 'fall', trackId: track.id, label: track.label, since: was.since, at });
    lying[String(track.id)] = { since: was.since, reported: was.reported || fallen };
  }
  // A lying track unseen for a moment stays lying until it is seen again or ends.
  for (const [key, was] of Object.entries(state.lying)) {
    const track = live.get(Number(key));
    if (track && track.lastSeenAt !== at && !(key in lying)) lying[key] = was;
  }

  const owners = seenNow.filter((track) => options.ownerLabels.includes(track.label));
  const objects: PostureState['objects'] = {};
  for (const track of live.values()) {
    if (!options.leftBehindLabels.includes(track.label)) continue;
    const key = String(track.id);
    const reach = Math.max(0.1, track.box.height * options.attendDistance);
    const near = owners.filter((owner) => distance(owner, track) <= reach);
    const was = state.objects[key] ?? {
      ownerId: near.sort((a, b) => distance(a, track) - distance(b, track))[0]?.id ?? null,
      unattendedSince: null,
      reported: false,
    };
    const still = bodySpeed(track) < options.stillSpeed;
    const attended = near.length > 0 || !still;
    const unattendedSince = attended ? null : (was.unattendedSince ?? at);
    const left = !was.reported && unattendedSince !== null && at - unattendedSince >= options.leftBehindMs;
    if (left) {
      events.push({
        type: 'left-behind',
        trackId: track.id,
        label: track.label,
        ownerId: was.ownerId,
        since: unattendedSince,
        at,
      });
    }
    objects[key] = { ownerId: was.ownerId, unattendedSince, reported: was.reported || left };
  }
  return { state: { upright: [...upright].sort((a, b) => a - b), lying, objects }, events };
}
