/**
 * Frame dedup, one instance per stream: decides for each sampled frame whether it shows something
 * the last kept frame did not (keep it) or is a near-duplicate (count it as skipped, store nothing).
 *
 * - The first frame is kept: there is nothing to compare it with.
 * - Every later frame is compared (SSIM on a small grayscale plane) with the LAST KEPT frame, not
 *   with the previous frame: a slow change (a shadow creeping, a person walking in one step per
 *   frame) accumulates against the reference until it crosses the threshold, instead of hiding
 *   below it one small step at a time.
 * - SSIM below the threshold (default 0.95) keeps the frame ('changed'); otherwise it is skipped
 *   ('duplicate'), unless keepAtLeastEverySeconds have passed since the last kept frame's capture
 *   time, in which case it is kept anyway ('heartbeat'), so that "nothing changed for ten minutes"
 *   stays visible as evidence rather than as a gap.
 *
 * The plane function is injected so that the policy is tested without images; createJpegFrameDedup
 * wires in the sharp-based JPEG decoder.
 */
import { jpegToGrayPlane, DEFAULT_PLANE_LONG_SIDE } from './grayscale-plane';
import { ssim, SsimSizeError, type GrayPlane, type SsimPooling } from './ssim';

export type DedupReason = 'first' | 'changed' | 'heartbeat' | 'duplicate';

export interface DedupDecision {
  keep: boolean;
  /** SSIM against the last kept frame; null when there was nothing comparable (first frame, new size). */
  ssim: number | null;
  reason: DedupReason;
  /**
   * For a kept frame: how many frames were skipped between the previous kept frame and this one
   * (what the caller records as "dedup skipped the span before this frame"). For a skipped frame:
   * how many have been skipped since the last kept frame, this one included.
   */
  skippedSinceLastKept: number;
}

export interface FrameDedupOptions {
  /** A frame whose SSIM against the last kept frame is below this is kept. In (0, 1]; default 0.95. */
  readonly threshold?: number;
  /**
   * Keep a frame at least this often (seconds of capture time), however static the picture.
   * Positive; default 60; Infinity turns the heartbeat off.
   */
  readonly keepAtLeastEverySeconds?: number;
  /** Block stride of the SSIM (2, 4 or 8); default 4: half-overlapping blocks (see ssim.ts). */
  readonly ssimStride?: number;
  /** How block scores are pooled (see SsimPooling); default 'mean'. */
  readonly pooling?: SsimPooling;
}

export const DEFAULT_DEDUP_THRESHOLD = 0.95;
export const DEFAULT_KEEP_AT_LEAST_EVERY_SECONDS = 60;
export const DEFAULT_DEDUP_SSIM_STRIDE = 4;

/** Turns one frame into the plane compared by SSIM; may be asynchronous (image decoding is). */
export type PlaneOf<F> = (frame: F) => GrayPlane | Promise<GrayPlane>;

export interface DedupCounters {
  kept: number;
  skipped: number;
}

export class FrameDedup<F> {
  private readonly threshold: number;
  private readonly heartbeatMs: number;
  private readonly stride: number;
  private readonly pooling: SsimPooling;
  private reference: { plane: GrayPlane; capturedAtMs: number } | null = null;
  private skipped = 0;
  private readonly totals: DedupCounters = { kept: 0, skipped: 0 };
  // Decisions depend on the previous one (the reference frame), so concurrent calls are queued.
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly planeOf: PlaneOf<F>,
    options: FrameDedupOptions = {},
  ) {
    const threshold = options.threshold ?? DEFAULT_DEDUP_THRESHOLD;
    if (!(threshold > 0 && threshold <= 1)) {
      throw new RangeError(`threshold must be in (0, 1], got ${threshold}`);
    }
    const heartbeat = options.keepAtLeastEverySeconds ?? DEFAULT_KEEP_AT_LEAST_EVERY_SECONDS;
    if (!(heartbeat > 0)) {
      throw new RangeError(`keepAtLeastEverySeconds must be positive, got ${heartbeat}`);
    }
    this.threshold = threshold;
    this.heartbeatMs = heartbeat * 1000;
    this.stride = options.ssimStride ?? DEFAULT_DEDUP_SSIM_STRIDE;
    this.pooling = options.pooling ?? 'mean';
    // Fail at construction rather than on the second frame.
    ssim(FLAT_PLANE, FLAT_PLANE, { stride: this.stride, pooling: this.pooling });
  }

  /**
   * Decides about the next frame of the stream. `capturedAt` is the frame's capture time (a Date or
   * epoch milliseconds); frames must come in capture order. Rejects when the plane function does
   * (for example a corrupt JPEG); the frame then counts for nothing and the reference is unchanged.
   */
  decide(frame: F, capturedAt: Date | number): Promise<DedupDecision> {
    const capturedAtMs = typeof capturedAt === 'number' ? capturedAt : capturedAt.getTime();
    if (!Number.isFinite(capturedAtMs)) {
      return Promise.reject(new RangeError(`capture time is not a valid time: ${String(capturedAt)}`));
    }
    const next = this.tail.then(async () => this.decidePlane(await this.planeOf(frame), capturedAtMs));
    // Keep the queue going after a rejected decision; the caller still sees the rejection.
    this.tail = next.catch(() => undefined);
    return next;
  }

  /**
   * The policy itself, synchronous, on a ready plane. Exposed for callers that already hold planes
   * (and for tests); do not mix with decide() calls that are still pending.
   */
  decidePlane(plane: GrayPlane, capturedAtMs: number): DedupDecision {
    const reference = this.reference;
    if (!reference) return this.keep(plane, capturedAtMs, 'first', null);

    let score: number;
    try {
      score = ssim(reference.plane, plane, { stride: this.stride, pooling: this.pooling });
    } catch (error) {
      // The source changed resolution (an HLS variant switch, a camera reconfigured): nothing to
      // compare with, and certainly a change worth keeping. The new plane becomes the reference.
      if (error instanceof SsimSizeError) return this.keep(plane, capturedAtMs, 'changed', null);
      throw error;
    }
    if (score < this.threshold) return this.keep(plane, capturedAtMs, 'changed', score);

    const sinceKeptMs = capturedAtMs - reference.capturedAtMs;
    // A capture time before the reference's means the source's clock restarted (a reconnect, a
    // looping file): keep this frame so the heartbeat is measured on the new clock from here on,
    // instead of waiting for the new clock to catch up with the old one.
    if (sinceKeptMs >= this.heartbeatMs || sinceKeptMs < 0) {
      return this.keep(plane, capturedAtMs, 'heartbeat', score);
    }
    this.skipped += 1;
    this.totals.skipped += 1;
    return { keep: false, ssim: score, reason: 'duplicate', skippedSinceLastKept: this.skipped };
  }

  /** Frames kept and skipped since this instance was created. */
  get counters(): DedupCounters {
    return { ...this.totals };
  }

  /**
   * Forgets the reference frame: the next frame is kept as 'first'. For a sampler restarted after
   * an error, whose next frame may be a different picture on a different clock.
   */
  reset(): void {
    this.reference = null;
    this.skipped = 0;
  }

  private keep(
    plane: GrayPlane,
    capturedAtMs: number,
    reason: DedupReason,
    score: number | null,
  ): DedupDecision {
    const skippedSinceLastKept = this.skipped;
    this.reference = { plane, capturedAtMs };
    this.skipped = 0;
    this.totals.kept += 1;
    return { keep: true, ssim: score, reason, skippedSinceLastKept };
  }
}

const FLAT_PLANE: GrayPlane = { data: new Uint8Array(64), width: 8, height: 8 };

export interface JpegFrameDedupOptions extends FrameDedupOptions {
  /** Long side of the compared grayscale plane; default DEFAULT_PLANE_LONG_SIDE (128). */
  readonly planeLongSide?: number;
}

/** Dedup of JPEG frames (what the ffmpeg sampler emits), planes decoded with sharp. */
export function createJpegFrameDedup(options: JpegFrameDedupOptions = {}): FrameDedup<Buffer> {
  const longSide = options.planeLongSide ?? DEFAULT_PLANE_LONG_SIDE;
  return new FrameDedup<Buffer>((jpeg) => jpegToGrayPlane(jpeg, { longSide }), options);
}
