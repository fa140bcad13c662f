import type { FrameDetection, LocalDetector } from './frame-detector';
import { RecentMap } from '../../util/recent-map';

/**
 * The process's one local detector, shared by every analysis job. TensorFlow.js on WASM runs on
 * the main thread, so detections run one at a time in arrival order; the models load on first use
 * (a few seconds), and only if something needs them.
 */
/** Windows overlap (stride < size), so most frames are seen twice: detections are kept a while. */
const CACHED_FRAMES = 256;

export class LocalAnalyser {
  private detector: Promise<LocalDetector> | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly cache = new RecentMap<FrameDetection>(CACHED_FRAMES);

  constructor(private readonly load: () => Promise<LocalDetector>) {}

  /** Detections for each frame, in order; a frame with a key seen recently is not detected again. */
  detect(frames: readonly { jpeg: Buffer; key?: string }[]): Promise<FrameDetection[]> {
    const run = this.tail.then(async () => {
      this.detector ??= this.load();
      const detector = await this.detector;
      const detections: FrameDetection[] = [];
      for (const frame of frames) {
        const cached = frame.key === undefined ? undefined : this.cache.get(frame.key);
        const detection = cached ?? (await detector.detect(frame.jpeg));
        if (frame.key !== undefined && !cached) this.cache.set(frame.key, detection);
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
