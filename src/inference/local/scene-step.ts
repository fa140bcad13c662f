import type { ResultEventType } from '../../templates/result-schema';
import type { DetectionParts, FrameDetection } from './frame-detector';
import {
  type Box,
  DEFAULT_TRACKER_OPTIONS,
  emptyTrackerState,
  predictBox,
  stepTracker,
  type TrackedObject,
  type TrackerOptions,
  type TrackerState,
} from './object-tracker';
import {
  DEFAULT_POSTURE_OPTIONS,
  emptyPostureState,
  stepPosture,
  type PostureOptions,
  type PostureState,
} from './posture-events';
import {
  bodySpeed,
  DEFAULT_RUN_OPTIONS,
  emptyRunState,
  stepRunning,
  type RunOptions,
  type RunState,
} from './running-events';
import {
  anchorOf,
  emptyZoneState,
  insidePolygon,
  stepZones,
  type SceneRegion,
  type Severity,
  type ZoneEvent,
  type ZoneState,
} from './zone-events';

/**
 * One stream's scene, frame by frame: the tracker gives each object an id, and zones, lines,
 * speed and posture turn the tracks into events. The detector's output for a frame is optional:
 * where nothing moved and no track was moving, the detector is skipped and the tracks are carried
 * as they stand. Pure, and the whole state is plain JSON, so it is kept between windows (and
 * workers) and a window continues where the last one stopped.
 */

/** The event vocabulary of results and rules. */
export type SceneEventType = ResultEventType;

/** One thing that happened, in the vocabulary rules and the console use. Times are ms since the epoch. */
export interface SceneEvent {
  /** Stable: the same happening always gets the same id. */
  id: string;
  type: SceneEventType;
  label: string;
  trackIds: number[];
  regionId?: string;
  /** The zone's or line's name. */
  zone?: string;
  direction?: 'to-left' | 'to-right';
  start: number;
  end: number;
  seconds?: number;
  speed?: number;
  count?: number;
  severity: Severity;
}

/** What the scene knows of one track beyond the tracker: for the result's track list and the chain. */
export interface TrackInfo {
  label: string;
  firstSeen: number;
  lastSeen: number;
  maxSpeed: number;
  /** Milliseconds spent in each zone (by region id). */
  dwellMs: Record<string, number>;
}

export interface SceneState {
  /** The scene version (zones and lines) the zone state belongs to; a new version starts zones afresh. */
  sceneVersion: number;
  /** The last frame stepped, ms since the epoch: older frames (overlapping windows) are not stepped again. */
  lastFrameAt: number | null;
  /** The last frame the detector ran on. */
  lastDetectedAt: number | null;
  /**
   * The last frame the NSFW classifier looked at (absent in states saved before it had its own
   * cadence: read as never).
   */
  lastNsfwAt?: number | null;
  tracker: TrackerState;
  zones: ZoneState;
  running: RunState;
  posture: PostureState;
  tracks: Record<string, TrackInfo>;
  /** The newest events, oldest first, for the causal chain and the model's memory. */
  recentEvents: SceneEvent[];
  /** The NSFW classes of the last classified frame, carried over the frames in between. */
  lastNsfw: FrameDetection['nsfw'];
}

export interface SceneOptions {
  tracker: TrackerOptions;
  run: RunOptions;
  posture: PostureOptions;
  /** Loitering time for zones that do not set their own. */
  dwellMs: number;
  /** At most this many recent events are remembered. */
  recentEvents: number;
  /** Information about ended tracks is kept this long (their events may still be chained). */
  keepEndedTrackMs: number;
  /** The detector runs at least this often, moving or not (a still scene can change without motion). */
  refreshDetectionMs: number;
  /** A confirmed track slower than this (body heights a second) is not moving. */
  movingSpeed: number;
  /** While the motion is explained by known tracks, the detector still looks at least this often. */
  maxCarryMs: number;
  /**
   * The NSFW classifier looks at a frame at most this often (and always after a whole-picture
   * change); frames in between carry the last classes. It costs a third of a frame's detection,
   * and what a camera shows does not turn explicit between two frames a second apart.
   */
  nsfwIntervalMs: number;
}

export const DEFAULT_SCENE_OPTIONS: SceneOptions = {
  tracker: DEFAULT_TRACKER_OPTIONS,
  run: DEFAULT_RUN_OPTIONS,
  posture: DEFAULT_POSTURE_OPTIONS,
  dwellMs: 20_000,
  recentEvents: 30,
  keepEndedTrackMs: 120_000,
  refreshDetectionMs: 10_000,
  movingSpeed: 0.2,
  maxCarryMs: 1_000,
  nsfwIntervalMs: 3_000,
};

export const emptySceneState = (sceneVersion = 0): SceneState => ({
  sceneVersion,
  lastFrameAt: null,
  lastDetectedAt: null,
  lastNsfwAt: null,
  tracker: emptyTrackerState(),
  zones: emptyZoneState(),
  running: emptyRunState(),
  posture: emptyPostureState(),
  tracks: {},
  recentEvents: [],
  lastNsfw: [],
});

export interface SceneFrameInput {
  at: number;
  /** The detector's objects, or null where it was not asked for them (nothing moved). */
  detection: FrameDetection | null;
  /** The NSFW classes where the classifier looked at this frame; null where it did not. */
  nsfw: FrameDetection['nsfw'] | null;
}

export interface SceneFrameOutput {
  state: SceneState;
  /** Confirmed objects in this frame with their track ids (seen, carried or predicted). */
  objects: TrackedObject[];
  /** The NSFW classes for this frame (the last classified ones where the classifier did not look). */
  nsfw: FrameDetection['nsfw'];
  events: SceneEvent[];
  /** False when the frame was older than the state's and so not stepped again. */
  stepped: boolean;
}

const DEFAULT_SEVERITY: Record<SceneEventType, Severity> = {
  enter: 'low',
  leave: 'low',
  dwell: 'medium',
  cross: 'low',
  'wrong-way': 'medium',
  crowd: 'medium',
  'crowd-end': 'low',
  run: 'medium',
  fall: 'high',
  'left-behind': 'high',
};

/** Events that only say a situation ended are never more than low. */
const ENDINGS: readonly SceneEventType[] = ['leave', 'crowd-end'];

/** A frame's motion, as the motion detector found it (boxes in frame fractions). */
export interface FrameMotion {
  at: number;
  boxes: Box[];
  /** No background yet, or the whole picture changed. */
  reset: boolean;
}

/** A box grown by half its size on each side: where a tracked object may have moved to since. */
function grown(box: Box): Box {
  return {
    x: box.x - box.width / 2,
    y: box.y - box.height / 2,
    width: box.width * 2,
    height: box.height * 2,
  };
}

const overlaps = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/**
 * What the detector must do on each of a window's new frames (in order), from their motion and the
 * scene as the last window left it. Objects:
 * - always without a background or after a whole-picture change;
 * - where something moved that no known track explains (motion outside every live track's
 *   predicted box): a newcomer;
 * - where the moving is explained, at least every `maxCarryMs`, so tracks are corrected;
 * - where nothing moved, at least every `refreshDetectionMs` (a still scene can change);
 * - on the frame after one where something may have appeared (a reset, a newcomer, the first
 *   frame) or while a track is still tentative: a new track is confirmed only when seen twice.
 * In between, the tracker carries the objects (see stepScene). NSFW classes: on the first frame,
 * after a whole-picture change, and then every `nsfwIntervalMs`. Decided for the window at once, so
 * the frames that need the detector go to its threads together.
 */
export function planDetections(
  state: SceneState,
  frames: readonly FrameMotion[],
  options: SceneOptions = DEFAULT_SCENE_OPTIONS,
): DetectionParts[] {
  let last = state.lastDetectedAt;
  let lastNsfw = state.lastNsfwAt ?? null;
  const live = state.tracker.tracks.filter((track) => track.state !== 'tentative');
  let confirm = state.tracker.tracks.some((track) => track.state === 'tentative');
  return frames.map(({ at, boxes, reset }) => {
    const since = last === null ? Infinity : at - last;
    let objects: boolean;
    let newcomer = reset || since >= options.refreshDetectionMs;
    if (newcomer || confirm) objects = true;
    else if (boxes.length === 0) objects = false;
    else {
      const predicted = live.map((track) => grown(predictBox(track, at - track.lastSeenAt)));
      newcomer = !boxes.every((box) => predicted.some((area) => overlaps(area, box)));
      objects = newcomer || since >= options.maxCarryMs;
    }
    confirm = newcomer;
    if (objects) last = at;
    const nsfw = reset || lastNsfw === null || at - lastNsfw >= options.nsfwIntervalMs;
    if (nsfw) lastNsfw = at;
    return { objects, nsfw };
  });
}

/**
 * The tracker's state when the detector was skipped: a still track is where it stood (and counts
 * as seen now, so it does not age away while nothing moves); a moving one is where its motion
 * carries it, and keeps the time it was last seen, so the next detection measures its speed over
 * the whole interval.
 */
function carried(
  state: TrackerState,
  at: number,
  options: SceneOptions,
): { tracker: TrackerState; objects: TrackedObject[] } {
  const tracks = state.tracks.filter((track) => track.state !== 'tentative');
  const objects: TrackedObject[] = [];
  const next = tracks.map((track) => {
    if (track.state !== 'confirmed') return track;
    const moving = bodySpeed(track) >= options.movingSpeed;
    const box = moving ? predictBox(track, at - track.lastSeenAt) : track.box;
    objects.push({ trackId: track.id, label: track.label, box, confidence: track.confidence, seen: false });
    return moving ? track : { ...track, lastSeenAt: at };
  });
  return { tracker: { ...state, at, tracks: next }, objects };
}

function eventId(type: string, regionId: string | undefined, trackIds: number[], at: number): string {
  return `${type}:${regionId ?? '-'}:${trackIds.join('+')}:${at}`;
}

function severityOf(type: SceneEventType, region: SceneRegion | undefined): Severity {
  if (ENDINGS.includes(type)) return 'low';
  return region?.severity ?? DEFAULT_SEVERITY[type];
}

function fromZoneEvent(event: ZoneEvent, regions: Map<string, SceneRegion>): SceneEvent {
  const region = regions.get(event.regionId);
  const zone = region?.name ?? event.regionId;
  const base = { regionId: event.regionId, zone, severity: severityOf(event.type, region) };
  switch (event.type) {
    case 'crowd':
    case 'crowd-end':
      return {
        ...base,
        id: eventId(event.type, event.regionId, [], event.at),
        type: event.type,
        label: region?.labels[0] ?? 'person',
        trackIds: event.trackIds,
        start: event.at,
        end: event.at,
        count: event.count,
      };
    case 'dwell':
      return {
        ...base,
        id: eventId(event.type, event.regionId, [event.trackId], event.at),
        type: 'dwell',
        label: event.label,
        trackIds: [event.trackId],
        start: event.since,
        end: event.at,
        seconds: Math.round((event.at - event.since) / 1000),
      };
    case 'cross':
    case 'wrong-way':
      return {
        ...base,
        id: eventId(event.type, event.regionId, [event.trackId], event.at),
        type: event.type,
        label: event.label,
        trackIds: [event.trackId],
        start: event.at,
        end: event.at,
        direction: event.direction,
      };
    default:
      return {
        ...base,
        id: eventId(event.type, event.regionId, [event.trackId], event.at),
        type: event.type,
        label: event.label,
        trackIds: [event.trackId],
        start: event.at,
        end: event.at,
      };
  }
}

/** The zone a point stands in (the first listed), for events that happen outside any tripwire. */
function zoneAt(point: { x: number; y: number }, regions: SceneRegion[]): SceneRegion | undefined {
  return regions.find((region) => region.kind === 'zone' && insidePolygon(point, region.polygon));
}

/**
 * Steps the scene by one frame. Frames must come in time order; a frame not newer than the last
 * stepped one returns `stepped: false` and leaves the state as it was. A scene version other than
 * the state's (zones were redrawn) restarts the zone bookkeeping but keeps the tracks.
 */
export function stepScene(
  previous: SceneState,
  frame: SceneFrameInput,
  regions: SceneRegion[],
  sceneVersion: number,
  options: SceneOptions = DEFAULT_SCENE_OPTIONS,
): SceneFrameOutput {
  if (previous.lastFrameAt !== null && frame.at <= previous.lastFrameAt) {
    return { state: previous, objects: [], nsfw: previous.lastNsfw, events: [], stepped: false };
  }
  const state: SceneState =
    previous.sceneVersion === sceneVersion
      ? previous
      : { ...previous, sceneVersion, zones: emptyZoneState() };
  const at = frame.at;

  let tracker: TrackerState;
  let objects: TrackedObject[];
  let ended: number[] = [];
  if (frame.detection) {
    const step = stepTracker(
      state.tracker,
      frame.detection.objects.map((object) => ({
        label: object.label,
        confidence: object.confidence,
        box: object.box,
      })),
      at,
      options.tracker,
    );
    tracker = step.state;
    objects = step.objects;
    ended = step.ended;
  } else {
    ({ tracker, objects } = carried(state.tracker, at, options));
  }

  const byId = new Map(regions.map((region) => [region.id, region]));
  const zoneStep = stepZones(state.zones, objects, ended, regions, at, { dwellMs: options.dwellMs });
  const runStep = stepRunning(state.running, tracker.tracks, at, options.run);
  const postureStep = stepPosture(state.posture, tracker.tracks, at, options.posture);

  const events: SceneEvent[] = zoneStep.events.map((event) => fromZoneEvent(event, byId));
  const trackById = new Map(tracker.tracks.map((track) => [track.id, track]));
  for (const event of [...runStep.events, ...postureStep.events]) {
    const track = trackById.get(event.trackId);
    const region = track ? zoneAt(anchorOf(track.box), regions) : undefined;
    const trackIds =
      event.type === 'left-behind' && event.ownerId !== null
        ? [event.trackId, event.ownerId]
        : [event.trackId];
    events.push({
      id: eventId(event.type, region?.id, trackIds, at),
      type: event.type,
      label: event.label,
      trackIds,
      ...(region ? { regionId: region.id, zone: region.name } : {}),
      start: event.type === 'run' ? at : event.since,
      end: at,
      ...(event.type === 'run' ? { speed: Math.round(event.speed * 10) / 10 } : {}),
      ...(event.type === 'left-behind' ? { seconds: Math.round((at - event.since) / 1000) } : {}),
      severity: severityOf(event.type, region),
    });
  }

  const tracks = trackInfo(state, tracker, zoneStep.state, at, options);
  const recentEvents = [...state.recentEvents, ...events].slice(-options.recentEvents);
  const nsfw = frame.nsfw ?? state.lastNsfw;
  return {
    state: {
      sceneVersion,
      lastFrameAt: at,
      lastDetectedAt: frame.detection ? at : state.lastDetectedAt,
      lastNsfwAt: frame.nsfw ? at : (state.lastNsfwAt ?? null),
      tracker,
      zones: zoneStep.state,
      running: runStep.state,
      posture: postureStep.state,
      tracks,
      recentEvents,
      lastNsfw: nsfw,
    },
    objects,
    nsfw,
    events,
    stepped: true,
  };
}

function trackInfo(
  state: SceneState,
  tracker: TrackerState,
  zones: ZoneState,
  at: number,
  options: SceneOptions,
): Record<string, TrackInfo> {
  const elapsed = state.lastFrameAt === null ? 0 : at - state.lastFrameAt;
  const info: Record<string, TrackInfo> = {};
  for (const [key, known] of Object.entries(state.tracks)) {
    if (at - known.lastSeen <= options.keepEndedTrackMs) info[key] = known;
  }
  for (const track of tracker.tracks) {
    if (track.state !== 'confirmed' || track.lastSeenAt !== at) continue;
    const key = String(track.id);
    const known = info[key] ?? {
      label: track.label,
      firstSeen: track.firstSeenAt,
      lastSeen: at,
      maxSpeed: 0,
      dwellMs: {},
    };
    const dwellMs = { ...known.dwellMs };
    for (const regionId of Object.keys(zones.tracks[key]?.inside ?? {})) {
      dwellMs[regionId] = (dwellMs[regionId] ?? 0) + elapsed;
    }
    info[key] = {
      ...known,
      lastSeen: at,
      maxSpeed: Math.max(known.maxSpeed, Math.round(bodySpeed(track) * 100) / 100),
      dwellMs,
    };
  }
  return info;
}
