/**
 * Groups a stream's kept frames into overlapping windows: W frames each, a new window every S kept
 * frames (S <= W, so consecutive windows share W - S frames). Pure and restartable: a sampler that
 * takes a stream over rebuilds it from the last frames and window index stored in PostgreSQL.
 *
 * A window's frames are consecutive footage, and the analysis prompt says so: a window never
 * reaches across a break in sampling. A break is a gap between two kept frames longer than the
 * stream's sampling allows (`maxGapMs`), or one the caller declares (`closeRun`: a live source
 * restarted, so the time in between was never sampled). At a break, if some frames before it are
 * in no window yet, the last W frames before it (fewer if the run had fewer: the analysers and the
 * prompt take any number from one up) are emitted as one more window, so the footage before the
 * break is analysed rather than lost; the next window is built from frames after the break only,
 * W of them as for a stream's first window.
 */
export interface KeptFrameRef {
  id: string;
  sequence: number;
  capturedAt: Date;
  /** The first frame after a break: no window reaches back past it (stored with the frame). */
  startsRun?: boolean;
}

export interface WindowSpec {
  index: number;
  frames: KeptFrameRef[];
  startAt: Date;
  endAt: Date;
}

export interface AssemblerState {
  /** Up to W most recent kept frames since the last break, oldest first. */
  recent: KeptFrameRef[];
  /** Index the next window gets. */
  nextIndex: number;
  /** Kept frames since the last frame of the last window (or since the beginning). */
  sinceLastWindow: number;
  /** A break was declared: the next frame starts a run. */
  breakBeforeNext?: boolean;
}

export interface AssemblerOptions {
  /** Longest time between two kept frames of one run, in ms (default: no limit). */
  maxGapMs?: number;
}

export class WindowAssembler {
  private state: AssemblerState;
  private readonly maxGapMs: number;

  constructor(
    private readonly size: number,
    private readonly stride: number,
    initial: AssemblerState = { recent: [], nextIndex: 0, sinceLastWindow: 0 },
    options: AssemblerOptions = {},
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('window size must be a positive integer');
    if (!Number.isInteger(stride) || stride < 1 || stride > size) {
      throw new RangeError('window stride must be an integer from 1 to the window size');
    }
    this.maxGapMs = options.maxGapMs ?? Infinity;
    if (!(this.maxGapMs > 0)) throw new RangeError('maxGapMs must be positive');
    const recent = currentRun(initial.recent, this.maxGapMs).slice(-size);
    this.state = {
      ...initial,
      recent,
      sinceLastWindow: Math.min(initial.sinceLastWindow, recent.length),
    };
  }

  /** Whether a frame captured at this time would start a new run (a break comes before it). */
  breaksBefore(capturedAt: Date): boolean {
    if (this.state.breakBeforeNext) return true;
    const last = this.state.recent.at(-1);
    return last !== undefined && capturedAt.getTime() - last.capturedAt.getTime() > this.maxGapMs;
  }

  /**
   * Declares a break: returns the last frames before it as a window if some of them are in no
   * window yet, and makes the next frame start a new run.
   */
  closeRun(): WindowSpec | null {
    const uncovered = Math.min(this.state.sinceLastWindow, this.state.recent.length);
    const frames = this.state.recent;
    const window = uncovered > 0 ? windowOf(this.state.nextIndex, frames) : null;
    this.state = {
      recent: [],
      nextIndex: this.state.nextIndex + (window ? 1 : 0),
      sinceLastWindow: 0,
      breakBeforeNext: true,
    };
    return window;
  }

  /** Adds a kept frame; returns the windows it completes: none, one, or (at a break) the one closing the run before. */
  add(frame: KeptFrameRef): WindowSpec[] {
    const last = this.state.recent.at(-1);
    if (last && frame.sequence <= last.sequence) {
      throw new RangeError(`frame ${frame.sequence} is not after frame ${last.sequence}`);
    }
    const windows: WindowSpec[] = [];
    if (this.breaksBefore(frame.capturedAt)) {
      const short = this.closeRun();
      if (short) windows.push(short);
    }
    const startsRun = this.state.breakBeforeNext === true;
    const recent = [...this.state.recent, startsRun ? { ...frame, startsRun } : frame].slice(-this.size);
    const sinceLastWindow = this.state.sinceLastWindow + 1;
    // The first window of a run needs W frames; after that one every S frames.
    const due = recent.length === this.size && (this.state.nextIndex === 0 || sinceLastWindow >= this.stride);
    if (!due) {
      this.state = { recent, nextIndex: this.state.nextIndex, sinceLastWindow };
      return windows;
    }
    windows.push(windowOf(this.state.nextIndex, recent));
    this.state = { recent, nextIndex: this.state.nextIndex + 1, sinceLastWindow: 0 };
    return windows;
  }

  snapshot(): AssemblerState {
    return { ...this.state, recent: [...this.state.recent] };
  }
}

function windowOf(index: number, frames: KeptFrameRef[]): WindowSpec {
  return { index, frames, startAt: frames[0]!.capturedAt, endAt: frames.at(-1)!.capturedAt };
}

/** The frames from the last break on: the last frame that starts a run, or follows a gap. */
function currentRun(frames: KeptFrameRef[], maxGapMs: number): KeptFrameRef[] {
  for (let i = frames.length - 1; i > 0; i -= 1) {
    const gap = frames[i]!.capturedAt.getTime() - frames[i - 1]!.capturedAt.getTime();
    if (frames[i]!.startsRun || gap > maxGapMs) return frames.slice(i);
  }
  return frames;
}

/**
 * The longest time two consecutive kept frames of one run may be apart, in ms. Dedup keeps a frame
 * at least every `keepEverySeconds` of capture time (its heartbeat), and that frame is the first
 * sampled one at or after the mark; sampled frames pass at least once per interval of the lowest
 * rate adaptive sampling goes down to (`minFps`, or the stream's own fps if lower), give or take a
 * frame of jitter. Three such intervals on top of the heartbeat is therefore more than any run
 * without a break shows, and far less than an outage: 75 s with the defaults (60 s, 0.2 fps).
 */
export function maxKeptFrameGapMs(fps: number, minFps: number, keepEverySeconds: number): number {
  const slowestIntervalMs = 1000 / Math.min(fps, minFps);
  return keepEverySeconds * 1000 + 3 * slowestIntervalMs;
}
