import type { FrameDetection } from './frame-detector';
import { buildLocalResult, type LocalAnalysisResult, type LocalAnomaly, type Severity } from './local-result';
import type { TrackedObject } from './object-tracker';
import type { SceneEvent, SceneState, TrackInfo } from './scene-step';
import type { SceneRegion } from './zone-events';

/**
 * What a window's scene means for a moderator: the local result (docs/result-shape.md) with the
 * window's events, the tracks seen, actions, anomalies, a causal chain per track and a root
 * cause, and a plain-language trace of how each finding was reached ("Local analysis"). Pure.
 */

export interface SceneWindowFrame {
  capturedAt: Date;
  objects: TrackedObject[];
  nsfw: FrameDetection['nsfw'];
  /** Whether the detector looked at this frame (false: carried, nothing moved). */
  detected: boolean;
  /** Whether this window stepped the frame (false: an earlier, overlapping window already did). */
  stepped: boolean;
}

export interface ResultEvent {
  id: string;
  type: SceneEvent['type'];
  label: string;
  trackIds: number[];
  zone?: string;
  direction?: 'to-left' | 'to-right';
  start: string;
  end: string;
  seconds?: number;
  speed?: number;
  count?: number;
  severity: Severity;
  evidence: string[];
}

export interface ResultTrack {
  id: number;
  label: string;
  firstSeen: string;
  lastSeen: string;
  zones: string[];
  maxSpeed: number;
  dwellSeconds: Record<string, number>;
}

export interface SceneAnalysisResult extends LocalAnalysisResult {
  events: ResultEvent[];
  tracks: ResultTrack[];
  trace: string[];
  sceneVersion: number;
}

export interface SceneResultInput {
  frames: SceneWindowFrame[];
  /** Events first observed in this window, in time order. */
  events: SceneEvent[];
  /** The scene after the window's last frame. */
  state: SceneState;
  regions: SceneRegion[];
  sceneVersion: number;
  nsfwThreshold: number;
}

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

/** Events worth a moderator's look: a situation, not only a passage. */
const ANOMALOUS: readonly SceneEvent['type'][] = [
  'dwell',
  'wrong-way',
  'crowd',
  'run',
  'fall',
  'left-behind',
];

/**
 * Whether an event is an anomaly of the window: a situation (ANOMALOUS), or any other event the
 * zone rates medium or more (entering a lawn one must not walk on), but never an ending.
 */
function isAnomaly(event: SceneEvent): boolean {
  if (event.type === 'leave' || event.type === 'crowd-end') return false;
  return ANOMALOUS.includes(event.type) || SEVERITY_RANK[event.severity] >= SEVERITY_RANK.medium;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A clock time for sentences: HH:MM:SS in UTC. */
export function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

const actorOf = (label: string, trackId: number) => `${label} #${trackId}`;

function where(event: SceneEvent): string {
  return event.zone
    ? ` ${event.type === 'cross' || event.type === 'wrong-way' ? 'the line' : 'in'} "${event.zone}"`
    : '';
}

/** One event as a short sentence, e.g. `person #4 entered "lawn" at 12:00:05`. */
export function describeEvent(event: SceneEvent): string {
  const who = event.trackIds.length > 0 ? actorOf(event.label, event.trackIds[0]!) : event.label;
  const at = clock(event.end);
  switch (event.type) {
    case 'enter':
      return `${who} entered "${event.zone}" at ${at}`;
    case 'leave':
      return `${who} left "${event.zone}" at ${at}`;
    case 'dwell':
      return `${who} stayed ${event.seconds} s in "${event.zone}" (since ${clock(event.start)}): loitering`;
    case 'cross':
      return `${who} crossed "${event.zone}" ${event.direction === 'to-left' ? 'to its left' : 'to its right'} at ${at}`;
    case 'wrong-way':
      return `${who} crossed "${event.zone}" against its allowed direction at ${at}`;
    case 'crowd':
      return `a crowd of ${event.count} formed in "${event.zone}" at ${at} (${event.trackIds.map((id) => `#${id}`).join(', ')})`;
    case 'crowd-end':
      return `the crowd in "${event.zone}" thinned to ${event.count} at ${at}`;
    case 'run':
      return `${who} ran${where(event)} at ${at} (${event.speed} body heights a second)`;
    case 'fall':
      return `${who} fell${where(event)} at ${clock(event.start)} and stayed down until at least ${at}`;
    case 'left-behind': {
      const owner =
        event.trackIds[1] === undefined ? '' : ` after ${actorOf('person', event.trackIds[1])} went away`;
      return `${who} was left behind${where(event)}${owner}: unattended for ${event.seconds} s at ${at}`;
    }
  }
}

/** What an event means as an action of its actor (actions[].action). */
const ACTION_OF: Record<SceneEvent['type'], string> = {
  enter: 'enters',
  leave: 'leaves',
  dwell: 'loiters in',
  cross: 'crosses',
  'wrong-way': 'crosses against the direction of',
  crowd: 'gathers in',
  'crowd-end': 'disperses from',
  run: 'runs',
  fall: 'falls',
  'left-behind': 'is left behind',
};

function toResultEvent(event: SceneEvent, frameTimes: number[]): ResultEvent {
  const evidence = frameTimes.filter((at) => at >= event.start && at <= event.end);
  const { regionId: _regionId, ...rest } = event;
  return {
    ...rest,
    start: iso(event.start),
    end: iso(event.end),
    evidence: (evidence.length > 0 ? evidence : [event.end]).map(iso),
  };
}

function toResultTrack(id: string, info: TrackInfo, regions: SceneRegion[]): ResultTrack {
  const name = (regionId: string) => regions.find((region) => region.id === regionId)?.name ?? regionId;
  const dwellSeconds: Record<string, number> = {};
  for (const [regionId, ms] of Object.entries(info.dwellMs))
    dwellSeconds[name(regionId)] = Math.round(ms / 1000);
  return {
    id: Number(id),
    label: info.label,
    firstSeen: iso(info.firstSeen),
    lastSeen: iso(info.lastSeen),
    zones: Object.keys(dwellSeconds),
    maxSpeed: info.maxSpeed,
    dwellSeconds,
  };
}

/**
 * The causal chain: for each track with an anomalous event in this window, its remembered events
 * in time order, each leading to the next ("entered the lawn -> stayed 38 s: loitering"); a crowd
 * is led to by its members' entries. The chain starts from where the track was first seen.
 */
function causalChainOf(
  windowEvents: SceneEvent[],
  recent: SceneEvent[],
  tracks: Record<string, TrackInfo>,
): { chain: { cause: string; effect: string; at: string }[]; paths: Map<string, string[]> } {
  const chain: { cause: string; effect: string; at: string }[] = [];
  const paths = new Map<string, string[]>();
  const done = new Set<number>();
  for (const event of windowEvents) {
    if (!isAnomaly(event)) continue;
    for (const trackId of event.type === 'crowd' ? event.trackIds : event.trackIds.slice(0, 1)) {
      if (done.has(trackId)) continue;
      done.add(trackId);
      const history = recent.filter(
        (known) => known.trackIds[0] === trackId && known.type !== 'crowd' && known.end <= event.end,
      );
      const info = tracks[String(trackId)];
      let cause = info
        ? `${actorOf(info.label, trackId)} appeared at ${clock(info.firstSeen)}`
        : `${actorOf(event.label, trackId)} was in view`;
      const path = [cause];
      for (const step of history) {
        if (step.id === event.id) continue;
        chain.push({ cause, effect: describeEvent(step), at: iso(step.end) });
        cause = describeEvent(step);
        path.push(cause);
      }
      if (event.type !== 'crowd') {
        chain.push({ cause, effect: describeEvent(event), at: iso(event.end) });
        path.push(describeEvent(event));
        if (!paths.has(event.id)) paths.set(event.id, path);
      }
    }
    if (event.type === 'crowd') {
      chain.push({
        cause: `${event.trackIds.length} tracked people were in "${event.zone}" at once`,
        effect: describeEvent(event),
        at: iso(event.end),
      });
    }
  }
  return { chain, paths };
}

function anomalyOf(event: SceneEvent, frameTimes: number[]): LocalAnomaly {
  const type = event.type === 'dwell' ? 'loitering' : event.type;
  return {
    type: event.zone ? `${type}:${event.zone}` : type,
    severity: event.severity,
    description: describeEvent(event),
    evidence: toResultEvent(event, frameTimes).evidence,
  };
}

/**
 * Each frame's confirmed objects (with their track ids) and NSFW classes in the detector's form:
 * what the result's objects and the GPU gate are built from (the frame's size is not needed there).
 */
export function confirmedDetections(frames: readonly SceneWindowFrame[]): FrameDetection[] {
  return frames.map((frame) => ({
    objects: frame.objects.map(({ label, confidence, box, trackId }) => ({
      label,
      confidence,
      box,
      trackId,
    })),
    nsfw: frame.nsfw,
    width: 0,
    height: 0,
  }));
}

/** The scene's result for one window, with the trace of how the local analyser reached it. */
export function buildSceneResult(input: SceneResultInput): SceneAnalysisResult {
  const { frames, events, state, regions } = input;
  const frameTimes = frames.map((frame) => frame.capturedAt.getTime());
  const base = buildLocalResult(frames, confirmedDetections(frames), { nsfwThreshold: input.nsfwThreshold });

  const sceneAnomalies = events
    .filter(isAnomaly)
    .map((event) => ({ event, anomaly: anomalyOf(event, frameTimes) }));
  const anomalies = [...base.anomalies, ...sceneAnomalies.map(({ anomaly }) => anomaly)].sort(
    (a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity],
  );

  const actions = events.flatMap((event) =>
    event.type === 'crowd' || event.type === 'crowd-end'
      ? []
      : [
          {
            actor: actorOf(event.label, event.trackIds[0]!),
            action: ACTION_OF[event.type],
            target: event.zone ?? '',
            start: iso(event.start),
            end: iso(event.end),
          },
        ],
  );

  const { chain, paths } = causalChainOf(events, state.recentEvents, state.tracks);
  const worst = sceneAnomalies.sort(
    (a, b) => SEVERITY_RANK[b.event.severity] - SEVERITY_RANK[a.event.severity],
  )[0];
  let verdict = base.verdict;
  let confidence = base.confidence;
  let rootCause = '';
  if (base.anomalies.length > 0) {
    rootCause = base.anomalies[0]!.description;
  } else if (worst) {
    verdict = SEVERITY_RANK[worst.event.severity] >= SEVERITY_RANK.high ? 'violation' : 'review';
    rootCause = (paths.get(worst.event.id) ?? [describeEvent(worst.event)]).join(' -> ');
    confidence = trackConfidence(worst.event, frames);
  }

  const seenTracks = new Set(frames.flatMap((frame) => frame.objects.map((object) => object.trackId)));
  const tracks = [...seenTracks]
    .sort((a, b) => a - b)
    .flatMap((id) => {
      const info = state.tracks[String(id)];
      return info ? [toResultTrack(String(id), info, regions)] : [];
    });

  const timestamp = worst && base.anomalies.length === 0 ? iso(worst.event.end) : base.timestamp;
  return {
    ...base,
    timestamp: nearestFrame(timestamp, frameTimes),
    actions,
    anomalies,
    causalChain: chain,
    rootCause,
    verdict,
    confidence,
    events: events.map((event) => toResultEvent(event, frameTimes)),
    tracks,
    trace: traceOf(input, tracks, anomalies.length, verdict),
    sceneVersion: input.sceneVersion,
  };
}

/** The event's confidence: the mean detector score of its tracks over the window (0.5 when unseen). */
function trackConfidence(event: SceneEvent, frames: SceneWindowFrame[]): number {
  const scores = frames.flatMap((frame) =>
    frame.objects
      .filter((object) => event.trackIds.includes(object.trackId))
      .map((object) => object.confidence),
  );
  const mean = scores.length === 0 ? 0.5 : scores.reduce((sum, score) => sum + score, 0) / scores.length;
  return Math.round(mean * 10_000) / 10_000;
}

/** The window frame's time closest to `time` (the result's timestamp is always one of its frames). */
function nearestFrame(time: string, frameTimes: number[]): string {
  const target = Date.parse(time);
  let best = frameTimes[0]!;
  for (const at of frameTimes) if (Math.abs(at - target) < Math.abs(best - target)) best = at;
  return iso(best);
}

/** The local analyser's reasoning in plain words: what it observed, then what it concluded. */
function traceOf(
  input: SceneResultInput,
  tracks: ResultTrack[],
  anomalyCount: number,
  verdict: string,
): string[] {
  const { frames, events, regions } = input;
  const lines: string[] = [];
  const stepped = frames.filter((frame) => frame.stepped);
  const detected = stepped.filter((frame) => frame.detected).length;
  const first = frames[0]!.capturedAt.getTime();
  const last = frames.at(-1)!.capturedAt.getTime();
  lines.push(
    `Observed ${frames.length} frames from ${clock(first)} to ${clock(last)}; ` +
      `${stepped.length} were new to this stream's scene (the rest were shared with the previous window), ` +
      `the object detector looked at ${detected} of them and carried the tracks over the ${stepped.length - detected} where nothing moved.`,
  );
  const zones = regions.filter((region) => region.kind === 'zone').map((region) => `"${region.name}"`);
  const lines_ = regions.filter((region) => region.kind === 'line').map((region) => `"${region.name}"`);
  lines.push(
    regions.length === 0
      ? 'No zones or lines are drawn for this stream: only tracks, speed and posture were checked.'
      : `Watched zones ${zones.join(', ') || '(none)'} and lines ${lines_.join(', ') || '(none)'} (scene version ${input.sceneVersion}).`,
  );
  if (tracks.length === 0) {
    lines.push(
      'No object was confirmed (a detection counts once the tracker has seen it in two frames in a row).',
    );
  }
  for (const track of tracks) {
    const dwell = Object.entries(track.dwellSeconds)
      .map(([zone, seconds]) => `${seconds} s in "${zone}"`)
      .join(', ');
    lines.push(
      `Track ${track.label} #${track.id}: first seen ${clock(Date.parse(track.firstSeen))}, last seen ${clock(Date.parse(track.lastSeen))}, ` +
        `top speed ${track.maxSpeed} body heights a second${dwell ? `, ${dwell}` : ''}.`,
    );
  }
  for (const event of events) lines.push(`Event: ${describeEvent(event)}; severity ${event.severity}.`);
  lines.push(
    anomalyCount === 0
      ? `Conclusion: nothing anomalous, verdict ${verdict}.`
      : `Conclusion: ${anomalyCount} anomal${anomalyCount === 1 ? 'y' : 'ies'}, verdict ${verdict} (a high or critical one makes a violation, any other a review).`,
  );
  return lines;
}
