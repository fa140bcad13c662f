/**
 * Adaptive sampling: while a tenant's analysis backlog is above a bound, its streams pass on
 * fewer frames (halving the effective fps down to a floor); once the backlog has drained below
 * half the bound the rate doubles back up to the stream's own fps. Frames are dropped here, after
 * decoding, so the change is instant and costs no ffmpeg restart: what it saves is GPU time.
 */
export class AdaptiveRate {
  private effective: number;
  private lastAdmittedMs = -Infinity;

  constructor(
    private readonly fps: number,
    private readonly minFps: number,
    private readonly backlogBound: number,
  ) {
    this.effective = fps;
  }

  get effectiveFps(): number {
    return this.effective;
  }

  /** Re-evaluates the rate from the tenant's current backlog (queued windows); returns it. */
  adjust(backlog: number): number {
    if (backlog > this.backlogBound)
      this.effective = Math.max(Math.min(this.minFps, this.fps), this.effective / 2);
    else if (backlog < this.backlogBound / 2) this.effective = Math.min(this.fps, this.effective * 2);
    return this.effective;
  }

  /** Whether a frame captured at this time passes at the current rate. */
  admit(capturedAt: Date): boolean {
    if (this.effective >= this.fps) {
      this.lastAdmittedMs = capturedAt.getTime();
      return true;
    }
    // 10% tolerance: frame times jitter, and a frame a little early should not wait a whole interval.
    const interval = 1000 / this.effective;
    if (capturedAt.getTime() - this.lastAdmittedMs < interval * 0.9) return false;
    this.lastAdmittedMs = capturedAt.getTime();
    return true;
  }
}
