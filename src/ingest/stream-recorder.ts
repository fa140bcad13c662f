import type { PrismaClient } from '../db/prisma-client';
import { TenantDb, tenantDb } from '../db/tenant-scoped-db';
import type { JobQueue } from '../jobs/job-queue';
import { FrameStore, frameKey, storeFrame } from '../storage/frame-store';
import { addSamplingCounts, type SamplingCounts } from '../streams/stream-counters';
import { enqueueWindow } from './analysis-queue';
import { isFencedOut, LeaseLostError, type SamplerLease } from './sampler-lease';
import { AssemblerState, KeptFrameRef, WindowAssembler, WindowSpec } from './window-assembler';

/** A frame as the sampler hands it over; dedup has already decided whether it is kept. */
export interface RecordableFrame {
  sequence: number;
  capturedAt: Date;
  jpeg: Buffer;
  width: number;
  height: number;
  /** Finite sources: the frame's position in the source, seconds (what a take-over resumes from). */
  sourceOffsetSeconds?: number | null;
}

/** Where a finite source's sampling stopped: its last kept frame. */
export interface SourcePosition {
  /** The frame's position in the source, seconds. */
  offsetSeconds: number;
  /** The time the source's position 0 stands for: its frames' capture times are this plus their position. */
  sourceStartTime: Date;
}

export interface RecorderOptions {
  /** Longest time between two kept frames of one run (maxKeptFrameGapMs); default: no limit. */
  maxGapMs?: number;
}

export interface StreamRef {
  id: string;
  tenantId: string;
  windowSize: number;
  windowStride: number;
}

const zero = (): SamplingCounts => ({ framesSampled: 0, framesKept: 0, framesSkipped: 0, windowsQueued: 0 });

/**
 * Turns one stream's sampled frames into stored frames, Frame rows and windows. PostgreSQL is
 * written first, then the queue (PostgreSQL is the truth, Redis the transport); every write is idempotent on a unique
 * key, so a sampler that crashed and restarted never makes a second frame row or window. Under a
 * lease, nothing is written once the lease may have run out, and every row carries the lease's
 * fence, which PostgreSQL checks against the stream's: a sampler whose stream another worker has
 * taken fails with LeaseLostError instead of writing beside the new owner.
 */
export class StreamRecorder {
  private pending = zero();
  private skippedSinceKept = 0;

  private constructor(
    private readonly db: TenantDb,
    private readonly store: FrameStore,
    private readonly jobs: JobQueue,
    private readonly stream: StreamRef,
    private readonly assembler: WindowAssembler,
    /** The sequence number the next sampled frame must get. */
    public nextSequence: number,
    /** Null only where this recorder is the stream's one writer by construction (tests, tools). */
    private readonly lease: SamplerLease | null,
    /** A finite source's last kept frame, where its sampling may resume; null for live sources. */
    public readonly lastSourcePosition: SourcePosition | null,
  ) {}

  /** Opens a recorder that continues where the stream's stored frames and windows left off. */
  static async open(
    prisma: PrismaClient,
    store: FrameStore,
    jobs: JobQueue,
    stream: StreamRef,
    lease: SamplerLease | null = null,
    options: RecorderOptions = {},
  ): Promise<StreamRecorder> {
    const db = tenantDb(prisma, stream.tenantId);
    const state = await loadAssemblerState(db, stream);
    const last = await db.frame.findFirst({
      where: { streamId: stream.id },
      orderBy: { sequence: 'desc' },
      select: { sequence: true, capturedAt: true, sourceOffset: true },
    });
    const assembler = new WindowAssembler(stream.windowSize, stream.windowStride, state, {
      maxGapMs: options.maxGapMs,
    });
    const position =
      last && last.sourceOffset !== null
        ? {
            offsetSeconds: last.sourceOffset,
            sourceStartTime: new Date(last.capturedAt.getTime() - Math.round(last.sourceOffset * 1000)),
          }
        : null;
    return new StreamRecorder(
      db,
      store,
      jobs,
      stream,
      assembler,
      last ? last.sequence + 1 : 0,
      lease,
      position,
    );
  }

  /**
   * Declares a break before the next frame: the source restarts with time gone by unsampled (a
   * live source after a failure or a take-over), so no window joins the frames before and after
   * it. The last frames before it are queued now as a window if some are in none yet.
   */
  async breakRun(): Promise<WindowSpec | null> {
    this.assertLeaseHeld();
    const closing = this.assembler.closeRun();
    if (closing) await this.queueWindow(closing);
    return closing;
  }

  /** A frame dedup skipped: only counted, and remembered for the next kept frame's skippedBefore. */
  skip(): void {
    this.pending.framesSampled += 1;
    this.pending.framesSkipped += 1;
    this.skippedSinceKept += 1;
    this.nextSequence += 1;
  }

  /** A frame dedup kept: stored, recorded, and added to the window being assembled. */
  async keep(frame: RecordableFrame): Promise<WindowSpec[]> {
    const { tenantId, id: streamId } = this.stream;
    this.assertLeaseHeld();
    // The window closing the run before a break goes out before the frame that starts the next
    // run is written: a crash in between cannot leave those frames in no window.
    const startsRun = this.assembler.breaksBefore(frame.capturedAt);
    const closing = startsRun ? await this.breakRun() : null;
    const windows: WindowSpec[] = closing ? [closing] : [];
    const key = frameKey(tenantId, streamId, frame.capturedAt, frame.sequence);
    const stored = await storeFrame(this.store, key, frame.jpeg);
    const data = {
      tenantId,
      streamId,
      sequence: frame.sequence,
      capturedAt: frame.capturedAt,
      storageKey: stored.key,
      sha256: stored.sha256,
      width: frame.width,
      height: frame.height,
      bytes: stored.bytes,
      skippedBefore: this.skippedSinceKept,
      samplerFence: this.lease?.fence ?? null,
      sourceOffset: frame.sourceOffsetSeconds ?? null,
      startsRun,
    };
    const row = await fenced(() =>
      this.db.frame.upsert({
        where: { tenantId_streamId_sequence: { tenantId, streamId, sequence: frame.sequence } },
        create: data,
        update: {},
        select: { id: true, sequence: true, capturedAt: true, startsRun: true },
      }),
    );
    this.pending.framesSampled += 1;
    this.pending.framesKept += 1;
    this.skippedSinceKept = 0;
    this.nextSequence = frame.sequence + 1;
    for (const window of this.assembler.add(row)) {
      await this.queueWindow(window);
      windows.push(window);
    }
    return windows;
  }

  /** Writes the counters gathered since the last flush onto the stream row. */
  async flushCounters(extra: { effectiveFps?: number; progressPercent?: number | null } = {}): Promise<void> {
    const delta = this.pending;
    this.pending = zero();
    await addSamplingCounts(this.db, this.stream.id, delta, extra);
  }

  /** Nothing is written once the lease may have run out. */
  private assertLeaseHeld(): void {
    if (this.lease && !this.lease.held()) throw new LeaseLostError('not renewed in time');
  }

  private async queueWindow(window: WindowSpec): Promise<void> {
    const { tenantId, id: streamId } = this.stream;
    const row = await fenced(() =>
      this.db.window.upsert({
        where: { tenantId_streamId_index: { tenantId, streamId, index: window.index } },
        create: {
          tenantId,
          streamId,
          index: window.index,
          frameIds: window.frames.map((frame) => frame.id),
          startAt: window.startAt,
          endAt: window.endAt,
          samplerFence: this.lease?.fence ?? null,
        },
        update: {},
        select: { id: true },
      }),
    );
    const backlog = await this.db.window.count({ where: { status: 'QUEUED' } });
    await enqueueWindow(this.jobs, { tenantId, windowId: row.id }, backlog);
    this.pending.windowsQueued += 1;
  }
}

/** A write the sampler-fence trigger may refuse: that refusal is the lease's loss. */
async function fenced<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isFencedOut(error)) throw new LeaseLostError('another worker took the stream');
    throw error;
  }
}

async function loadAssemblerState(db: TenantDb, stream: StreamRef): Promise<AssemblerState> {
  const lastWindow = await db.window.findFirst({
    where: { streamId: stream.id },
    orderBy: { index: 'desc' },
    select: { index: true, frameIds: true },
  });
  const recent = await db.frame.findMany({
    where: { streamId: stream.id },
    orderBy: { sequence: 'desc' },
    take: stream.windowSize,
    select: { id: true, sequence: true, capturedAt: true, startsRun: true },
  });
  recent.reverse();
  if (!lastWindow) return { recent, nextIndex: 0, sinceLastWindow: recent.length };
  const lastFrameOfWindow = lastWindow.frameIds.at(-1);
  const position = recent.findIndex((frame: KeptFrameRef) => frame.id === lastFrameOfWindow);
  // Frames kept after the last window's last frame count towards the next window's stride.
  const sinceLastWindow = position === -1 ? recent.length : recent.length - 1 - position;
  return { recent, nextIndex: lastWindow.index + 1, sinceLastWindow };
}
