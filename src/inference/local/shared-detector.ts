import { BOTH_PARTS, type DetectionParts, type FrameDetection, type LocalDetector } from './frame-detector';
import { RecentMap } from '../../util/recent-map';

/** A frame to detect; frames with a key are remembered a while under it (and the parts asked). */
export interface KeyedFrame {
  jpeg: Buffer;
  key?: string;
  /** Which models to run; both when absent. */
  parts?: DetectionParts;
}

/** The cache key of a frame's detection: a frame asked again for other parts is detected again. */
export function detectionKey(frame: KeyedFrame): string | undefined {
  if (frame.key === undefined) return undefined;
  const parts = frame.parts ?? BOTH_PARTS;
  return `${frame.key}:${parts.objects ? 'objects' : ''}+${parts.nsfw ? 'nsfw' : ''}`;
}

/**
 * What window analysis asks of the local detector: detections for each frame, in order. A frame with
 * a key seen recently is not detected again (windows overlap, so most frames are seen twice).
 */
export interface FrameAnalyser {
  detect(frames: readonly KeyedFrame[]): Promise<FrameDetection[]>;
  /** Waits for the detections already asked for, then frees the models. */
  dispose(): Promise<void>;
}

/** Windows overlap (stride < size), so most frames are seen twice: detections are kept a while. */
export const CACHED_FRAMES = 256;

/**
 * One local detector on the calling thread, shared by every caller: TensorFlow.js on WASM runs on
 * this thread, so detections run one at a time in arrival order and block its event loop while they
 * run; the models load on first use (a few seconds), and only if something needs them. Processes
 * use the pool of threads (detector-pool.ts); this one is the baseline it is measured against.
 */
export class LocalAnalyser implements FrameAnalyser {
  private detector: Promise<LocalDetector> | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly cache = new RecentMap<FrameDetection>(CACHED_FRAMES);

  constructor(private readonly load: () => Promise<LocalDetector>) {}

  /** Detections for each frame, in order; a frame with a key seen recently is not detected again. */
  detect(frames: readonly KeyedFrame[]): Promise<FrameDetection[]> {
    const run = this.tail.then(async () => {
      this.detector ??= this.load();
      const detector = await this.detector;
      const detections: FrameDetection[] = [];
      for (const frame of frames) {
        const key = detectionKey(frame);
        const cached = key === undefined ? undefined : this.cache.get(key);
        const detection = cached ?? (await detector.detect(frame.jpeg, frame.parts));
        if (key !== undefined && !cached) this.cache.set(key, detection);
        detections.push(detection);
      }
      return detections;
    });
    // The queue continues after a failure; the caller still sees it.
    this.tail = run.catch(() => undefined);
    return run;
  }

  async dispose(): Promise<void> {
    await this.tail;
    if (this.detector) (await this.detector.catch(() => null))?.dispose();
    this.detector = null;
    this.cache.clear();
  }
}
