/**
 * The entry of one local-detector thread (a piscina worker, started by detector-pool.ts): each
 * thread loads its own models on its first frame, with the options the pool passed as workerData,
 * and then detects one frame per task. TensorFlow.js WASM and the decoding then take this thread's
 * CPU, not the event loop of the process.
 */
import { workerData } from 'node:worker_threads';
import {
  type DetectionParts,
  loadLocalDetector,
  type FrameDetection,
  type LocalDetector,
  type LocalDetectorOptions,
} from './frame-detector';

export interface DetectTask {
  /** The frame's JPEG, in a buffer of its own (moved, not copied, to the thread). */
  jpeg: Uint8Array;
  parts: DetectionParts;
  /** When the task was handed to the pool: milliseconds since the epoch, fractional. */
  submittedAt: number;
}

/** The task function's name in this module, for the pool. */
export const DETECT_TASK = 'detectFrameTask';

/** performance.now() counts from each thread's own start; this clock is the same in every thread. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

let detector: Promise<LocalDetector> | null = null;

export async function detectFrameTask(task: DetectTask): Promise<FrameDetection> {
  const startedAt = epochMs();
  const loading = (detector ??= loadLocalDetector(workerData as LocalDetectorOptions));
  let loaded: LocalDetector;
  try {
    loaded = await loading;
  } catch (error) {
    // The next frame tries again.
    if (detector === loading) detector = null;
    throw error;
  }
  const jpeg = Buffer.from(task.jpeg.buffer, task.jpeg.byteOffset, task.jpeg.byteLength);
  const detection = await loaded.detect(jpeg, task.parts);
  const queueMs = Math.max(0, startedAt - task.submittedAt);
  return { ...detection, timings: detection.timings && { ...detection.timings, queueMs } };
}
