import type { FrameDetection, LocalDetector } from './local-detector';

/**
 * The process's one local detector, shared by every analysis job. TensorFlow.js on WASM runs on
 * the main thread, so detections run one at a time in arrival order; the models load on first use
 * (a few seconds), and only if something needs them.
 */
export class LocalAnalyser {
  private detector: Promise<LocalDetector> | null = null;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly load: () => Promise<LocalDetector>) {}

  /** Detections for each frame, in order. */
  detect(jpegs: readonly Buffer[]): Promise<FrameDetection[]> {
    const run = this.tail.then(async () => {
      this.detector ??= this.load();
      const detector = await this.detector;
      const detections: FrameDetection[] = [];
      for (const jpeg of jpegs) detections.push(await detector.detect(jpeg));
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
  }
}
