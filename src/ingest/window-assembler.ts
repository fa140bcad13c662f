/**
 * Groups a stream's kept frames into overlapping windows: W frames each, a new window every S kept
 * frames (S <= W, so consecutive windows share W - S frames). Pure and restartable: a sampler that
 * takes a stream over rebuilds it from the last frames and window index stored in PostgreSQL.
 */
export interface KeptFrameRef {
  id: string;
  sequence: number;
  capturedAt: Date;
}

export interface WindowSpec {
  index: number;
  frames: KeptFrameRef[];
  startAt: Date;
  endAt: Date;
}

export interface AssemblerState {
  /** Up to W most recent kept frames, oldest first. */
  recent: KeptFrameRef[];
  /** Index the next window gets. */
  nextIndex: number;
  /** Kept frames since the start of the last window (or since the beginning). */
  sinceLastWindow: number;
}

export class WindowAssembler {
  private state: AssemblerState;

  constructor(
    private readonly size: number,
    private readonly stride: number,
    initial: AssemblerState = { recent: [], nextIndex: 0, sinceLastWindow: 0 },
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('window size must be a positive integer');
    if (!Number.isInteger(stride) || stride < 1 || stride > size) {
      throw new RangeError('window stride must be an integer from 1 to the window size');
    }
    this.state = { ...initial, recent: initial.recent.slice(-size) };
  }

  /** Adds a kept frame; returns the window it completes, if any. */
  add(frame: KeptFrameRef): WindowSpec | null {
    const last = this.state.recent.at(-1);
    if (last && frame.sequence <= last.sequence) {
      throw new RangeError(`frame ${frame.sequence} is not after frame ${last.sequence}`);
    }
    const recent = [...this.state.recent, frame].slice(-this.size);
    const sinceLastWindow = this.state.sinceLastWindow + 1;
    // The first window needs W frames; after that one every S frames.
    const due =
      recent.length === this.size && (this.state.nextIndex === 0 ? true : sinceLastWindow >= this.stride);
    if (!due) {
      this.state = { ...this.state, recent, sinceLastWindow };
      return null;
    }
    const window: WindowSpec = {
      index: this.state.nextIndex,
      frames: recent,
      startAt: recent[0]!.capturedAt,
      endAt: recent.at(-1)!.capturedAt,
    };
    this.state = { recent, nextIndex: this.state.nextIndex + 1, sinceLastWindow: 0 };
    return window;
  }

  snapshot(): AssemblerState {
    return { ...this.state, recent: [...this.state.recent] };
  }
}
