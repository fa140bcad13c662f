import { munkres } from 'munkres';

/** A box in fractions of the frame, 0..1, from its top left corner. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One object the detector saw in one frame. */
export interface TrackerDetection {
  label: string;
  confidence: number;
  box: Box;
}

export type TrackState = 'tentative' | 'confirmed' | 'lost';

/** What the tracker remembers of one object: plain JSON, so a stream's state can be stored and restored. */
export interface Track {
  id: number;
  label: string;
  state: TrackState;
  /** The box at `lastSeenAt`. */
  box: Box;
  /** How the box's centre moves, in frame fractions per second (smoothed). */
  velocity: { x: number; y: number };
  confidence: number;
  /** Frames in a row it was matched (confirms a tentative track). */
  hits: number;
  firstSeenAt: number;
  lastSeenAt: number;
}

/** A stream's tracker: its tracks and the next id it gives, both carried across windows. */
export interface TrackerState {
  nextId: number;
  /** Time of the last frame stepped, ms since the epoch. */
  at: number | null;
  tracks: Track[];
}

export interface TrackerOptions {
  /** Detections at or above this score are matched first and may start tracks. */
  highScore: number;
  /** Detections between this and highScore are used only to keep confirmed tracks alive. */
  lowScore: number;
  /** Least overlap (IoU with the predicted box) for a match in the first pass. */
  matchIou: number;
  /** Least overlap for the second pass (low-score detections), which must be surer. */
  lowMatchIou: number;
  /** A new track needs a detection at least this sure. */
  newTrackScore: number;
  /** Frames in a row before a new track is confirmed. */
  confirmHits: number;
  /** How long a confirmed track that is not seen is kept (lost) before it ends. */
  keepLostMs: number;
  /** Weight of the newest movement in the smoothed velocity, 0..1. */
  velocitySmoothing: number;
  /**
   * The fastest an object may move, in its own box heights per second. At a frame a second a
   * walker moves further than its own width, so boxes of one person in two frames often do not
   * overlap: a detection within this reach of a track's predicted centre may still match it.
   */
  maxBodySpeed: number;
  /** What a detection at the track's predicted centre scores without any overlap (0..1). */
  proximityWeight: number;
}

/**
 * Scores are CenterNet's at the frame's own aspect, where a person cut by the frame's edge (walking
 * in or out of the picture) scores about 0.45-0.5: a track may start from such a sighting, and two in
 * a row are still needed to confirm it.
 */
export const DEFAULT_TRACKER_OPTIONS: TrackerOptions = {
  highScore: 0.45,
  lowScore: 0.2,
  matchIou: 0.2,
  lowMatchIou: 0.4,
  newTrackScore: 0.45,
  confirmHits: 2,
  keepLostMs: 3_000,
  velocitySmoothing: 0.5,
  maxBodySpeed: 3.5,
  proximityWeight: 0.6,
};

/** An object as the tracker places it in one frame. */
export interface TrackedObject {
  trackId: number;
  label: string;
  box: Box;
  confidence: number;
  /** Matched with a detection in this frame (false: predicted from its motion while unseen). */
  seen: boolean;
}

export interface TrackerStep {
  state: TrackerState;
  /** Confirmed tracks in this frame: seen now, or carried by their motion while briefly unseen. */
  objects: TrackedObject[];
  /** Ids of tracks that ended in this step (lost for longer than keepLostMs). */
  ended: number[];
}

export const emptyTrackerState = (): TrackerState => ({ nextId: 1, at: null, tracks: [] });

export function iou(a: Box, b: Box): number {
  const left = Math.max(a.x, b.x);
  const top = Math.max(a.y, b.y);
  const right = Math.min(a.x + a.width, b.x + b.width);
  const bottom = Math.min(a.y + a.height, b.y + b.height);
  const overlap = Math.max(0, right - left) * Math.max(0, bottom - top);
  const union = a.width * a.height + b.width * b.height - overlap;
  return union > 0 ? overlap / union : 0;
}

/** Where a track's box should be `dtMs` after it was last seen, moving as it moved. */
export function predictBox(track: Track, dtMs: number): Box {
  const seconds = Math.max(0, dtMs) / 1000;
  return {
    ...track.box,
    x: track.box.x + track.velocity.x * seconds,
    y: track.box.y + track.velocity.y * seconds,
  };
}

/**
 * A track unseen for longer is looked for within a second's reach of where its motion carries it,
 * not ever further afield, so a lost track does not take a newcomer across the frame.
 */
const MAX_REACH_MS = 1_000;

/** Boxes whose sizes (square roots of their areas) differ more than this ratio are matched only by overlap. */
const MIN_SIZE_LIKENESS = 0.6;

/**
 * How well a detection fits a track's predicted box: their overlap (IoU) or, when the object moved
 * too far between frames to overlap, how near its centre is within the distance it could have
 * moved (scaled by proximityWeight and by how alike the two boxes' sizes are).
 */
export function similarity(
  predicted: Box,
  detected: Box,
  elapsedMs: number,
  options: TrackerOptions,
): number {
  const overlap = iou(predicted, detected);
  // Likeness of size by area, so a person who falls (tall box turning wide) is still alike.
  const areas = [predicted.width * predicted.height, detected.width * detected.height];
  const alike = Math.sqrt(Math.min(...areas) / Math.max(...areas, 1e-12));
  // Near but of another size is another object (a small figure far away is not the big one close
  // by), and the reach is the track's own: how far that object can move, not the newcomer.
  if (alike < MIN_SIZE_LIKENESS) return overlap;
  const reach =
    options.maxBodySpeed * predicted.height * (Math.min(Math.max(elapsedMs, 1), MAX_REACH_MS) / 1000);
  const a = centre(predicted);
  const b = centre(detected);
  // Quadratic fall-off: near the predicted centre almost as good as an overlap, at the edge of the
  // reach nothing, and a runner's first step (no velocity known yet) still within the match threshold.
  const nearness = Math.max(0, 1 - (Math.hypot(a.x - b.x, a.y - b.y) / reach) ** 2);
  return Math.max(overlap, options.proximityWeight * nearness * alike);
}

/**
 * The best one-to-one matches between tracks and detections by their similarity to the tracks'
 * predicted boxes (Hungarian assignment on 1 - similarity); a pair of different labels, or one
 * scoring less than `minIou`, is never matched.
 */
function associate(
  tracks: { track: Track; predicted: Box }[],
  detections: TrackerDetection[],
  minIou: number,
  at: number,
  options: TrackerOptions,
): { matches: [number, number][]; unmatchedTracks: number[]; unmatchedDetections: number[] } {
  const matches: [number, number][] = [];
  if (tracks.length > 0 && detections.length > 0) {
    const overlap = tracks.map(({ track, predicted }) =>
      detections.map((detection) =>
        detection.label === track.label
          ? similarity(predicted, detection.box, at - track.lastSeenAt, options)
          : 0,
      ),
    );
    const cost = overlap.map((row) => row.map((value) => 1 - value));
    for (const [t, d] of munkres(cost)) {
      if (overlap[t]![d]! >= minIou) matches.push([t, d]);
    }
  }
  const matchedTracks = new Set(matches.map(([t]) => t));
  const matchedDetections = new Set(matches.map(([, d]) => d));
  return {
    matches,
    unmatchedTracks: tracks.map((_, t) => t).filter((t) => !matchedTracks.has(t)),
    unmatchedDetections: detections.map((_, d) => d).filter((d) => !matchedDetections.has(d)),
  };
}

function centre(box: Box): { x: number; y: number } {
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

function updated(track: Track, detection: TrackerDetection, at: number, options: TrackerOptions): Track {
  const seconds = (at - track.lastSeenAt) / 1000;
  const from = centre(track.box);
  const to = centre(detection.box);
  // The first movement seen is the velocity; later ones are blended in, to ride out a jittery box.
  const weight = track.hits === 1 ? 1 : options.velocitySmoothing;
  const velocity =
    seconds > 0
      ? {
          x: weight * ((to.x - from.x) / seconds) + (1 - weight) * track.velocity.x,
          y: weight * ((to.y - from.y) / seconds) + (1 - weight) * track.velocity.y,
        }
      : track.velocity;
  const hits = track.hits + 1;
  return {
    ...track,
    box: detection.box,
    velocity,
    confidence: detection.confidence,
    hits,
    lastSeenAt: at,
    state: track.state === 'tentative' && hits < options.confirmHits ? 'tentative' : 'confirmed',
  };
}

/**
 * Steps a stream's tracker by one frame (ByteTrack's two passes): confirmed and lost tracks take
 * the sure detections first; confirmed tracks left over take the unsure ones, so an object that
 * the detector barely sees (partly hidden, blurred) keeps its id; new tracks take the rest of the
 * sure detections and stay tentative until seen in `confirmHits` frames in a row. A track not seen
 * is carried by its motion and ends after `keepLostMs`. Pure: the same state and frame give the
 * same result. Frames must come in time order; an older frame than the state's is ignored.
 */
export function stepTracker(
  state: TrackerState,
  detections: TrackerDetection[],
  at: number,
  options: TrackerOptions = DEFAULT_TRACKER_OPTIONS,
): TrackerStep {
  if (state.at !== null && at < state.at) return { state, objects: [], ended: [] };
  const sure = detections.filter((detection) => detection.confidence >= options.highScore);
  const unsure = detections.filter(
    (detection) => detection.confidence >= options.lowScore && detection.confidence < options.highScore,
  );
  const withPrediction = (track: Track) => ({ track, predicted: predictBox(track, at - track.lastSeenAt) });
  const next = new Map<number, Track>();
  const seen = new Set<number>();

  // Pass 1: established tracks (confirmed or lost) against the sure detections.
  const established = state.tracks.filter((track) => track.state !== 'tentative').map(withPrediction);
  const first = associate(established, sure, options.matchIou, at, options);
  for (const [t, d] of first.matches) {
    const track = established[t]!.track;
    next.set(track.id, updated(track, sure[d]!, at, options));
    seen.add(track.id);
  }

  // Pass 2: confirmed tracks still unmatched against the unsure detections.
  const leftOver = first.unmatchedTracks
    .map((t) => established[t]!)
    .filter(({ track }) => track.state === 'confirmed');
  const second = associate(leftOver, unsure, options.lowMatchIou, at, options);
  for (const [t, d] of second.matches) {
    const track = leftOver[t]!.track;
    next.set(track.id, updated(track, unsure[d]!, at, options));
    seen.add(track.id);
  }

  // Pass 3: tentative tracks against the sure detections nobody took.
  const remaining = first.unmatchedDetections.map((d) => sure[d]!);
  const tentative = state.tracks.filter((track) => track.state === 'tentative').map(withPrediction);
  const third = associate(tentative, remaining, options.matchIou, at, options);
  for (const [t, d] of third.matches) {
    const track = tentative[t]!.track;
    next.set(track.id, updated(track, remaining[d]!, at, options));
    seen.add(track.id);
  }

  // Established tracks not seen now are lost, and end once lost for too long; tentative ones end at once.
  const ended: number[] = [];
  for (const track of state.tracks) {
    if (seen.has(track.id)) continue;
    if (track.state === 'tentative') continue;
    if (at - track.lastSeenAt > options.keepLostMs) {
      ended.push(track.id);
      continue;
    }
    next.set(track.id, { ...track, state: 'lost' });
  }

  // New tracks from the sure detections left over.
  let nextId = state.nextId;
  for (const d of third.unmatchedDetections) {
    const detection = remaining[d]!;
    if (detection.confidence < options.newTrackScore) continue;
    const track: Track = {
      id: nextId++,
      label: detection.label,
      state: options.confirmHits <= 1 ? 'confirmed' : 'tentative',
      box: detection.box,
      velocity: { x: 0, y: 0 },
      confidence: detection.confidence,
      hits: 1,
      firstSeenAt: at,
      lastSeenAt: at,
    };
    next.set(track.id, track);
    seen.add(track.id);
  }

  const tracks = [...next.values()].sort((a, b) => a.id - b.id);
  const objects: TrackedObject[] = tracks
    .filter((track) => track.state !== 'tentative')
    .map((track) => ({
      trackId: track.id,
      label: track.label,
      box: seen.has(track.id) ? track.box : predictBox(track, at - track.lastSeenAt),
      confidence: track.confidence,
      seen: seen.has(track.id),
    }));
  return { state: { nextId, at, tracks }, objects, ended };
}
