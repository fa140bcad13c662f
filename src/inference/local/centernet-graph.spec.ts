import { centernetArtifactsAt, centernetInputShape, type WeightSpec } from './centernet-graph';

describe('centernetInputShape', () => {
  it('keeps the frame aspect with the longer side 448, sides multiples of 32', () => {
    expect(centernetInputShape(448, 336)).toEqual({ width: 448, height: 352 });
    expect(centernetInputShape(768, 576)).toEqual({ width: 448, height: 352 });
    expect(centernetInputShape(1280, 720)).toEqual({ width: 448, height: 256 });
    expect(centernetInputShape(720, 1280)).toEqual({ width: 256, height: 448 });
    expect(centernetInputShape(500, 500)).toEqual({ width: 448, height: 448 });
    // A panorama keeps some height.
    expect(centernetInputShape(4000, 100)).toEqual({ width: 448, height: 128 });
  });

  it('refuses a frame without a size', () => {
    expect(() => centernetInputShape(0, 336)).toThrow(RangeError);
    expect(() => centernetInputShape(448, Number.NaN)).toThrow(RangeError);
  });
});

/** A miniature of the graph's artifacts: a float16 weight, then the five size constants, then a float32. */
function artifacts() {
  const constants: [string, number[]][] = [
    ['tower_0/CenternetHead/c5_upsample/up_sampling2d/mul', [32, 32]],
    ['tower_0/CenternetHead/c4_upsample/up_sampling2d_1/mul', [64, 64]],
    ['tower_0/CenternetHead/c3_upsample/up_sampling2d_2/mul', [128, 128]],
    ['tower_0/BatchGather/concat', [16384, 4]],
    ['tower_0/strided_slice_6', [128]],
  ];
  const weightSpecs: WeightSpec[] = [
    { name: 'conv/weights', shape: [3], dtype: 'float32', quantization: { dtype: 'float16' } },
    ...constants.map(([name, values]) => ({
      name,
      shape: name.endsWith('slice_6') ? [] : [values.length],
      dtype: 'int32',
    })),
    { name: 'head/bias', shape: [1], dtype: 'float32' },
  ];
  const data = new DataView(new ArrayBuffer(6 + 9 * 4 + 4));
  data.setUint16(0, 0x3c00, true); // 1.0 in float16
  let offset = 6;
  for (const [, values] of constants) {
    for (const value of values) {
      data.setInt32(offset, value, true);
      offset += 4;
    }
  }
  data.setFloat32(offset, 0.5, true);
  const dim = [1, 512, 512, 3].map((size) => ({ size: String(size) }));
  return {
    modelTopology: {
      node: [
        { name: 'tower_0/images', op: 'Placeholder', attr: { shape: { shape: { dim } } } },
        { name: 'conv', op: 'Conv2D' },
      ],
    },
    signature: { inputs: { 'tower_0/images': { tensorShape: { dim } } } },
    weightSpecs,
    weightData: data.buffer,
  };
}

const int32s = (buffer: ArrayBuffer, from: number, count: number) =>
  Array.from({ length: count }, (_, i) => new DataView(buffer).getInt32(from + i * 4, true));

describe('centernetArtifactsAt', () => {
  it("rewrites the size constants and the input's declared shape, and nothing else", () => {
    const original = artifacts();
    const resized = centernetArtifactsAt(original, { width: 448, height: 352 });
    // Pyramid targets are (height, width) at 1/16, 1/8 and 1/4; the heatmap has 88 x 112 cells, rows of 112.
    expect(int32s(resized.weightData, 6, 9)).toEqual([22, 28, 44, 56, 88, 112, 9856, 4, 112]);
    const view = new DataView(resized.weightData);
    expect(view.getUint16(0, true)).toBe(0x3c00);
    expect(view.getFloat32(6 + 36, true)).toBe(0.5);
    const declared = [1, 352, 448, 3].map((size) => ({ size: String(size) }));
    expect(resized.modelTopology.node[0]!.attr!.shape.shape.dim).toEqual(declared);
    expect(resized.signature.inputs['tower_0/images'].tensorShape.dim).toEqual(declared);
    // The original is untouched, so it serves the next shape.
    expect(int32s(original.weightData, 6, 9)).toEqual([32, 32, 64, 64, 128, 128, 16384, 4, 128]);
    expect(original.modelTopology.node[0]!.attr!.shape.shape.dim[1]).toEqual({ size: '512' });
  });

  it('refuses a shape off the stride, and a graph that is not the one it knows', () => {
    expect(() => centernetArtifactsAt(artifacts(), { width: 450, height: 352 })).toThrow(/multiples of 32/);
    const withoutConstant = artifacts();
    withoutConstant.weightSpecs = withoutConstant.weightSpecs.map((spec) =>
      spec.name === 'tower_0/strided_slice_6' ? { ...spec, name: 'renamed' } : spec,
    );
    expect(() => centernetArtifactsAt(withoutConstant, { width: 448, height: 352 })).toThrow(
      /without the constants tower_0\/strided_slice_6/,
    );
    const short = artifacts();
    short.weightData = short.weightData.slice(0, 20);
    expect(() => centernetArtifactsAt(short, { width: 448, height: 352 })).toThrow(/do not match/);
  });
});
