import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { StreamMemory } from '../inference/gpu/window-prompt';
import type { FrameDetection } from '../inference/local/frame-detector';
import type { TrackedObject } from '../inference/local/object-tracker';
import type { KeyedFrame } from '../inference/local/shared-detector';
import {
  buildSceneResult,
  confirmedDetections,
  describeEvent,
  type SceneAnalysisResult,
  type SceneWindowFrame,
} from '../inference/local/scene-result';
import {
  DEFAULT_SCENE_OPTIONS,
  emptySceneState,
  planDetections,
  type FrameMotion,
  stepScene,
  type SceneEvent,
  type SceneOptions,
  type SceneState,
} from '../inference/local/scene-step';
import type { SceneRegion } from '../inference/local/zone-events';
import { jpegToGrayPlane } from '../media/grayscale-plane';
import { DEFAULT_MOTION_OPTIONS, stepMotion, type MotionState } from '../media/motion-detector';

/**
 * A stream's scene across windows: motion first, the detector where something moved or a track is
 * moving, then the tracker, zones, lines, speed and posture (src/inference/local/scene-step.ts).
 *
 * The state lives in Redis, one key per stream, so the next window continues from this one's last
 * frame whichever worker runs it (after a restart or a take-over too). A per-stream lock makes
 * windows of one stream step one at a time; windows overlap, so frames an earlier window stepped
 * are not stepped again but shown as they were. If the state is lost (Redis flushed, or expired
 * after an idle hour) the scene starts afresh: new track ids, the background learnt again.
 */

export interface SceneFrame {
  id: string;
  jpeg: Buffer;
  capturedAt: Date;
}

export interface SceneTimings {
  /** JPEG to the small grayscale plane (sharp). */
  decodeMs: number;
  motionMs: number;
  /** Wall time waiting for the detector (its threads work in parallel). */
  detectorMs: number;
  trackerMs: number;
  eventsMs: number;
}

export interface SceneWindowOutcome {
  result: SceneAnalysisResult;
  /** Per frame, the confirmed objects in detector form: what the GPU gate looks at. */
  detections: FrameDetection[];
  /** Frames the detector looked at for objects, of the frames this window stepped. */
  detectedFrames: number;
  /** Frames the NSFW classifier looked at, of the frames this window stepped. */
  classifiedFrames: number;
  steppedFrames: number;
  events: SceneEvent[];
  timings: SceneTimings;
}

export interface SceneAnalysisDeps {
  redis: Redis;
  detect: (frames: KeyedFrame[]) => Promise<FrameDetection[]>;
  options?: SceneOptions;
  /** How long a stream's state is kept without a window. Default an hour. */
  stateTtlMs?: number;
  /** How long a window may hold its stream's lock. Default 60 s. */
  lockMs?: number;
}

/** What is kept per stream besides the pure scene state. */
interface StoredScene {
  scene: SceneState;
  /** The newest stepped frames' objects, so an overlapping window shows them without stepping again. */
  frames: { at: number; objects: TrackedObject[]; nsfw: FrameDetection['nsfw']; detected: boolean }[];
}

const KEPT_FRAMES = 64;
const stateKey = (tenantId: string, streamId: string) => `scene:state:${tenantId}:${streamId}`;
const backgroundKey = (tenantId: string, streamId: string) => `scene:background:${tenantId}:${streamId}`;
const lockKey = (tenantId: string, streamId: string) => `scene:lock:${tenantId}:${streamId}`;

/** Deletes the lock only if this holder still has it (it may have expired and passed on). */
const RELEASE_LOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * Forgets a stream's scene (its tracks, zone stays and background), so its next window starts
 * afresh: for footage that starts over (a file played again), where yesterday's tracks would
 * otherwise be matched to today's first people.
 */
export async function forgetScene(redis: Redis, tenantId: string, streamId: string): Promise<void> {
  await redis.del(stateKey(tenantId, streamId), backgroundKey(tenantId, streamId));
}

export class SceneAnalysis {
  private readonly options: SceneOptions;
  private readonly stateTtlMs: number;
  private readonly lockMs: number;

  constructor(private readonly deps: SceneAnalysisDeps) {
    this.options = deps.options ?? DEFAULT_SCENE_OPTIONS;
    this.stateTtlMs = deps.stateTtlMs ?? 3_600_000;
    this.lockMs = deps.lockMs ?? 60_000;
  }

  /** Steps the stream's scene over a window's frames (capture order) and builds its result. */
  async analyseWindow(
    tenantId: string,
    streamId: string,
    frames: SceneFrame[],
    scene: { version: number; regions: SceneRegion[] },
    nsfwThreshold: number,
  ): Promise<SceneWindowOutcome> {
    const token = await this.lock(tenantId, streamId);
    try {
      return await this.step(tenantId, streamId, frames, scene, nsfwThreshold);
    } finally {
      await this.deps.redis.eval(RELEASE_LOCK, 1, lockKey(tenantId, streamId), token);
    }
  }

  /**
   * The stream's tracks in view and its latest events as the last stepped frame left them, for the
   * GPU model's per-window text; null when the stream has no scene state.
   */
  async memory(
    tenantId: string,
    streamId: string,
    regions: SceneRegion[],
    recentEvents = 5,
  ): Promise<Pick<StreamMemory, 'activeTracks' | 'recentEvents'> | null> {
    const json = await this.deps.redis.get(stateKey(tenantId, streamId));
    if (!json) return null;
    const { scene } = JSON.parse(json) as StoredScene;
    const name = (regionId: string) => regions.find((region) => region.id === regionId)?.name ?? regionId;
    return {
      activeTracks: scene.tracker.tracks
        .filter((track) => track.state === 'confirmed')
        .map((track) => ({
          id: track.id,
          label: track.label,
          zones: Object.keys(scene.zones.tracks[String(track.id)]?.inside ?? {}).map(name),
          since: new Date(track.firstSeenAt),
        })),
      recentEvents: scene.recentEvents.slice(-recentEvents).map(describeEvent),
    };
  }

  /** Forgets a stream's scene (its tracks and background): see forgetScene. */
  forget(tenantId: string, streamId: string): Promise<void> {
    return forgetScene(this.deps.redis, tenantId, streamId);
  }

  private async lock(tenantId: string, streamId: string): Promise<string> {
    const token = randomUUID();
    const deadline = Date.now() + this.lockMs;
    for (;;) {
      const taken = await this.deps.redis.set(lockKey(tenantId, streamId), token, 'PX', this.lockMs, 'NX');
      if (taken === 'OK') return token;
      if (Date.now() > deadline)
        throw new Error(`the scene of stream ${streamId} stayed locked for ${this.lockMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  private async load(
    tenantId: string,
    streamId: string,
  ): Promise<{ stored: StoredScene; motion: MotionState | null }> {
    const [json, background] = await Promise.all([
      this.deps.redis.get(stateKey(tenantId, streamId)),
      this.deps.redis.getBuffer(backgroundKey(tenantId, streamId)),
    ]);
    const stored: StoredScene = json
      ? (JSON.parse(json) as StoredScene)
      : { scene: emptySceneState(), frames: [] };
    let motion: MotionState | null = null;
    if (background && background.length > 8) {
      const width = background.readUInt32LE(0);
      const height = background.readUInt32LE(4);
      const values = new Float32Array(width * height);
      if (background.length === 8 + values.byteLength) {
        Buffer.from(values.buffer).set(background.subarray(8));
        motion = { width, height, background: values };
      }
    }
    return { stored, motion };
  }

  private async save(tenantId: string, streamId: string, stored: StoredScene, motion: MotionState | null) {
    const multi = this.deps.redis
      .multi()
      .set(stateKey(tenantId, streamId), JSON.stringify(stored), 'PX', this.stateTtlMs);
    if (motion) {
      const header = Buffer.alloc(8);
      header.writeUInt32LE(motion.width, 0);
      header.writeUInt32LE(motion.height, 4);
      const values = Buffer.from(
        motion.background.buffer,
        motion.background.byteOffset,
        motion.background.byteLength,
      );
      multi.set(backgroundKey(tenantId, streamId), Buffer.concat([header, values]), 'PX', this.stateTtlMs);
    }
    await multi.exec();
  }

  private async step(
    tenantId: string,
    streamId: string,
    frames: SceneFrame[],
    scene: { version: number; regions: SceneRegion[] },
    nsfwThreshold: number,
  ): Promise<SceneWindowOutcome> {
    const timings: SceneTimings = { decodeMs: 0, motionMs: 0, detectorMs: 0, trackerMs: 0, eventsMs: 0 };
    const { stored, motion: savedMotion } = await this.load(tenantId, streamId);
    const start = stored.scene;
    const fresh = frames.filter(
      (frame) => start.lastFrameAt === null || frame.capturedAt.getTime() > start.lastFrameAt,
    );

    // Motion on every new frame; the detector only where it is needed, and only the models needed
    // (decided up front, so the frames that need it go to the detector's threads together).
    let clock = performance.now();
    const planes = await Promise.all(fresh.map((frame) => jpegToGrayPlane(frame.jpeg)));
    timings.decodeMs = performance.now() - clock;
    clock = performance.now();
    let motion = savedMotion;
    const motions: FrameMotion[] = [];
    for (const [index, plane] of planes.entries()) {
      const step = stepMotion(motion, plane, DEFAULT_MOTION_OPTIONS);
      motion = step.state;
      motions.push({ at: fresh[index]!.capturedAt.getTime(), boxes: step.boxes, reset: step.reset });
    }
    const wanted = planDetections(start, motions, this.options);
    timings.motionMs = performance.now() - clock;

    clock = performance.now();
    const asked = fresh.flatMap((frame, index) => {
      const parts = wanted[index]!;
      return parts.objects || parts.nsfw ? [{ frame, parts }] : [];
    });
    const found =
      asked.length > 0
        ? await this.deps.detect(
            asked.map(({ frame, parts }) => ({ jpeg: frame.jpeg, key: frame.id, parts })),
          )
        : [];
    timings.detectorMs = performance.now() - clock;
    const detectionOf = new Map(
      asked.map(({ frame, parts }, index) => [frame.id, { parts, found: found[index]! }]),
    );

    clock = performance.now();
    let state = start;
    const events: SceneEvent[] = [];
    const kept = new Map(stored.frames.map((frame) => [frame.at, frame]));
    const windowFrames: SceneWindowFrame[] = [];
    for (const frame of frames) {
      const at = frame.capturedAt.getTime();
      const request = detectionOf.get(frame.id);
      const detection = request?.parts.objects ? request.found : null;
      const nsfw = request?.parts.nsfw ? request.found.nsfw : null;
      const output = stepScene(state, { at, detection, nsfw }, scene.regions, scene.version, this.options);
      if (output.stepped) {
        state = output.state;
        events.push(...output.events);
        const record = { at, objects: output.objects, nsfw: output.nsfw, detected: detection !== null };
        kept.set(at, record);
        windowFrames.push({ capturedAt: frame.capturedAt, ...record, stepped: true });
      } else {
        const earlier = kept.get(at);
        windowFrames.push({
          capturedAt: frame.capturedAt,
          objects: earlier?.objects ?? [],
          nsfw: earlier?.nsfw ?? [],
          detected: earlier?.detected ?? false,
          stepped: false,
        });
      }
    }
    timings.trackerMs = performance.now() - clock;

    clock = performance.now();
    const result = buildSceneResult({
      frames: windowFrames,
      events,
      state,
      regions: scene.regions,
      sceneVersion: scene.version,
      nsfwThreshold,
    });
    timings.eventsMs = performance.now() - clock;

    const keptFrames = [...kept.values()].sort((a, b) => a.at - b.at).slice(-KEPT_FRAMES);
    await this.save(tenantId, streamId, { scene: state, frames: keptFrames }, motion);
    return {
      result,
      detections: confirmedDetections(windowFrames),
      detectedFrames: asked.filter(({ parts }) => parts.objects).length,
      classifiedFrames: asked.filter(({ parts }) => parts.nsfw).length,
      steppedFrames: fresh.length,
      events,
      timings,
    };
  }
}
