import { createHash } from 'node:crypto';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TenantDb } from '../db/tenant-scoped-db';
import type { Incident } from '../generated/prisma/client';
import { recordIncidentClip } from '../incidents/incident-clip-record';
import { type ClipFrame, encodeClip } from '../media/clip-encoder';
import { clipKey, type FrameStore } from '../storage/frame-store';

/*
 * The owner of incidents' evidence clips: an H.264 MP4 of every stored frame of the incident's
 * firings' windows (each frame once, in capture order, at its real pace, its capture time burnt in:
 * see clip-encoder.ts), stored in the frame store beside the stream's frames and recorded on the
 * incident (clip* columns, through incident-clip-record.ts) with an audit event that carries its
 * sha256, so the clip an auditor downloads can be checked against the tamper-evident chain.
 *
 * A clip is current while the incident has as many firings as when it was built; a firing added
 * later (an incident reopened, or a late window) makes it stale and the next request rebuilds it.
 * Long incidents are sampled evenly down to MAX_CLIP_FRAMES frames (the first and last kept), so a
 * clip is at most MAX_CLIP_FRAMES × 2 s long and takes seconds to build, whatever the incident's length.
 */

/** 15 minutes at 2 fps; beyond it frames are sampled evenly. */
export const MAX_CLIP_FRAMES = 1800;
/** Frames read from the store at once while a clip is assembled (an S3 store answers in parallel). */
const READ_CONCURRENCY = 16;

export interface IncidentClipRecord {
  incidentId: string;
  storageKey: string;
  sha256: string;
  bytes: number;
  frames: number;
  builtAt: Date;
  /** The incident's firings when it was built. */
  firings: number;
}

export interface IncidentClipOptions {
  ffmpegPath: string;
  /** The font of the burnt-in times (default: Debian's DejaVu Sans). */
  fontFile?: string;
  /** Where frames are gathered while ffmpeg runs (default: the system's temporary folder). */
  tmpDir?: string;
  maxFrames?: number;
}

type ClipColumns = Pick<
  Incident,
  | 'id'
  | 'tenantId'
  | 'firings'
  | 'clipStorageKey'
  | 'clipSha256'
  | 'clipBytes'
  | 'clipFrames'
  | 'clipBuiltAt'
  | 'clipFirings'
>;

/** The clip recorded on an incident, or null when none was built. */
export function recordedClip(incident: ClipColumns): IncidentClipRecord | null {
  if (!incident.clipStorageKey || !incident.clipSha256 || !incident.clipBuiltAt) return null;
  return {
    incidentId: incident.id,
    storageKey: incident.clipStorageKey,
    sha256: incident.clipSha256,
    bytes: incident.clipBytes ?? 0,
    frames: incident.clipFrames ?? 0,
    builtAt: incident.clipBuiltAt,
    firings: incident.clipFirings ?? 0,
  };
}

/** Whether the incident's recorded clip covers all its firings. */
export function clipIsCurrent(incident: ClipColumns): boolean {
  const clip = recordedClip(incident);
  return clip !== null && clip.firings >= incident.firings;
}

/** `count` indexes spread evenly over 0..total-1, first and last included. */
export function evenSample(total: number, count: number): number[] {
  if (total <= count) return Array.from({ length: total }, (_, index) => index);
  if (count === 1) return [0];
  return Array.from({ length: count }, (_, index) => Math.round((index * (total - 1)) / (count - 1)));
}

export class IncidentClips {
  /** Builds in flight in this process, by incident: two requests for one clip share one ffmpeg. */
  private readonly building = new Map<string, Promise<IncidentClipRecord | null>>();
  /** Builds run one at a time per process: each ffmpeg already uses two cores. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: FrameStore,
    private readonly options: IncidentClipOptions,
  ) {}

  /**
   * The incident's clip, built first when missing or stale; null when none of its frames is stored
   * any more (nothing to show). `incidentId` must be a validated id of the db's tenant.
   */
  async ensure(db: TenantDb, incidentId: string): Promise<IncidentClipRecord | null> {
    const incident = await db.incident.findUnique({ where: { id: incidentId } });
    if (!incident) return null;
    if (clipIsCurrent(incident)) return recordedClip(incident);
    return this.build(db, incidentId);
  }

  /** Builds (or rebuilds) the clip now; joins a build of the same incident already running here. */
  build(db: TenantDb, incidentId: string): Promise<IncidentClipRecord | null> {
    const running = this.building.get(incidentId);
    if (running) return running;
    const run = this.queue
      .catch(() => undefined)
      .then(() => this.buildNow(db, incidentId))
      .finally(() => this.building.delete(incidentId));
    this.queue = run.catch(() => undefined);
    this.building.set(incidentId, run);
    return run;
  }

  /** The clip's bytes (the whole file: a clip is bounded by MAX_CLIP_FRAMES). */
  read(clip: IncidentClipRecord): Promise<Buffer> {
    return this.store.get(clip.storageKey);
  }

  private async buildNow(db: TenantDb, incidentId: string): Promise<IncidentClipRecord | null> {
    const incident = await db.incident.findUnique({ where: { id: incidentId } });
    if (!incident) return null;
    const frames = await this.framesOf(db, incident.id);
    const sampled = evenSample(frames.length, this.options.maxFrames ?? MAX_CLIP_FRAMES).map(
      (index) => frames[index]!,
    );
    const workDir = await mkdtemp(path.join(this.options.tmpDir ?? os.tmpdir(), 'vigil-clip-'));
    try {
      const onDisk = await this.gather(sampled, workDir);
      if (onDisk.length === 0) return null;
      const output = path.join(workDir, 'clip.mp4');
      await encodeClip({
        ffmpegPath: this.options.ffmpegPath,
        fontFile: this.options.fontFile,
        frames: onDisk,
        workDir,
        output,
      });
      const mp4 = await readFile(output);
      const key = clipKey(incident.tenantId, incident.streamId, incident.id);
      await this.store.put(key, mp4);
      const record: IncidentClipRecord = {
        incidentId: incident.id,
        storageKey: key,
        sha256: createHash('sha256').update(mp4).digest('hex'),
        bytes: mp4.length,
        frames: onDisk.length,
        builtAt: new Date(),
        firings: incident.firings,
      };
      await recordIncidentClip(db, incident.tenantId, incident.id, record);
      return record;
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }

  /** Every frame of the incident's firings' windows, once each, in capture order. */
  private async framesOf(db: TenantDb, incidentId: string) {
    const firings = await db.incidentFiring.findMany({
      where: { incidentId },
      select: { windowId: true },
      distinct: ['windowId'],
    });
    const windows = await db.window.findMany({
      where: { id: { in: firings.map((firing) => firing.windowId) } },
      select: { frameIds: true },
    });
    const frameIds = [...new Set(windows.flatMap((window) => window.frameIds))];
    return db.frame.findMany({
      where: { id: { in: frameIds } },
      select: { id: true, capturedAt: true, storageKey: true },
      orderBy: [{ capturedAt: 'asc' }, { sequence: 'asc' }],
    });
  }

  /**
   * The frames as files ffmpeg can read: in place from a local store, else copied into the work
   * folder; a frame whose file is gone (purged) is left out.
   */
  private async gather(
    frames: { id: string; capturedAt: Date; storageKey: string }[],
    workDir: string,
  ): Promise<ClipFrame[]> {
    const found: (ClipFrame | null)[] = new Array(frames.length).fill(null);
    const local = this.store.localFile?.bind(this.store);
    let next = 0;
    const worker = async () => {
      while (next < frames.length) {
        const index = next++;
        const frame = frames[index]!;
        if (local) {
          const file = local(frame.storageKey);
          if (
            await access(file).then(
              () => true,
              () => false,
            )
          )
            found[index] = { file, capturedAt: frame.capturedAt };
          continue;
        }
        const jpeg = await this.store.get(frame.storageKey).catch(() => null);
        if (!jpeg) continue;
        const file = path.join(workDir, `${String(index).padStart(6, '0')}.jpg`);
        await writeFile(file, jpeg);
        found[index] = { file, capturedAt: frame.capturedAt };
      }
    };
    await Promise.all(Array.from({ length: READ_CONCURRENCY }, worker));
    return found.filter((frame): frame is ClipFrame => frame !== null);
  }
}
