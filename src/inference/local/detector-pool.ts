/**
 * The local detector off the event loop: a pool of worker threads (piscina), each with its own
 * TensorFlow.js WASM runtime and models, behind the same contract as the in-thread LocalAnalyser.
 *
 *   const local = new LocalDetectorPool({ threads: 2, minObjectScore: 0.4 });
 *   const detections = await local.detect(frames);   // frames of one window, detected in parallel
 *   await local.dispose();                            // waits for them, then ends the threads
 *
 * Each frame is one task, so the frames of a window are spread over the threads; tasks queue in
 * arrival order. The threads start on the first detect() and each loads its models on its first frame
 * (a few seconds, ~200 MB per thread), so a process that never asks pays nothing.
 *
 * The thread entry is frame-detector.thread.js beside this module when it runs compiled, or the .ts
 * source when it runs from source (tests): worker threads do not go through a test runner's
 * transform, so a .ts entry is loaded through tsx (a dev dependency) in the thread.
 *
 * The queue of frames has no cap of its own: it holds at most the frames of the windows being
 * analysed, which ANALYSIS_CONCURRENCY bounds.
 */
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
// On glibc a native library loaded only by worker threads is unloaded when the last of them ends,
// which crashes the process if another thread still uses it: sharp is held by the main thread too.
import 'sharp';
import { BOTH_PARTS, type FrameDetection, type LocalDetectorOptions } from './frame-detector';
import { DETECT_TASK, epochMs, type DetectTask } from './frame-detector.thread';
import { CACHED_FRAMES, detectionKey, type FrameAnalyser, type KeyedFrame } from './shared-detector';
import { RecentMap } from '../../util/recent-map';

export interface DetectorPoolOptions extends LocalDetectorOptions {
  /** Worker threads, each with its own models. */
  threads: number;
  /** Told about a thread that failed outside any task (a task's own failure rejects its call). */
  onError?: (error: unknown) => void;
}

const THREAD_ENTRY = 'frame-detector.thread';

/** The thread entry beside this module, and how a thread must be started to load it. */
function threadEntry(): { filename: string; execArgv?: string[] } {
  const extension = path.extname(__filename);
  const filename = path.join(__dirname, `${THREAD_ENTRY}${extension}`);
  return extension === '.ts' ? { filename, execArgv: ['--import', 'tsx'] } : { filename };
}

export class LocalDetectorPool implements FrameAnalyser {
  private pool: Piscina<DetectTask, FrameDetection> | null = null;
  /** Detections by frame key, also while they run: overlapping windows asked at once share them. */
  private readonly cache = new RecentMap<Promise<FrameDetection>>(CACHED_FRAMES);
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly options: DetectorPoolOptions) {
    if (!Number.isInteger(options.threads) || options.threads < 1) {
      throw new RangeError('threads must be a positive integer');
    }
  }

  /** Detections for each frame, in order; rejects with the first frame that cannot be detected. */
  detect(frames: readonly KeyedFrame[]): Promise<FrameDetection[]> {
    return Promise.all(frames.map((frame) => this.detectFrame(frame)));
  }

  /** The live threads (none before the first detect() and after dispose()). */
  get threads(): readonly Worker[] {
    return this.pool?.threads ?? [];
  }

  /** Frames waiting for a thread. */
  get queued(): number {
    return this.pool?.queueSize ?? 0;
  }

  async dispose(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    this.cache.clear();
    await Promise.allSettled([...this.running]);
    await pool?.destroy();
  }

  private detectFrame(frame: KeyedFrame): Promise<FrameDetection> {
    const key = detectionKey(frame);
    if (key === undefined) return this.run(frame);
    const cached = this.cache.get(key);
    if (cached) return cached;
    const detection = this.run(frame);
    this.cache.set(key, detection);
    // A frame that failed is tried again by the next window that has it.
    detection.catch(() => {
      if (this.cache.get(key) === detection) this.cache.delete(key);
    });
    return detection;
  }

  private run({ jpeg, parts = BOTH_PARTS }: KeyedFrame): Promise<FrameDetection> {
    this.pool ??= this.start();
    // A buffer of the frame's own, moved to the thread: a Buffer may be a view of a larger one.
    const own = new Uint8Array(jpeg);
    const detection = this.pool.run(
      { jpeg: own, parts, submittedAt: epochMs() },
      { name: DETECT_TASK, transferList: [own.buffer] },
    );
    this.running.add(detection);
    const forget = (): void => {
      this.running.delete(detection);
    };
    detection.then(forget, forget);
    return detection;
  }

  private start(): Piscina<DetectTask, FrameDetection> {
    const { threads, onError, ...detector } = this.options;
    const pool = new Piscina<DetectTask, FrameDetection>({
      ...threadEntry(),
      name: DETECT_TASK,
      minThreads: threads,
      maxThreads: threads,
      // One frame at a time per thread: a detection keeps its thread's CPU busy throughout.
      concurrentTasksPerWorker: 1,
      workerData: detector satisfies LocalDetectorOptions,
    });
    pool.on('error', (error: unknown) => onError?.(error));
    return pool;
  }
}
