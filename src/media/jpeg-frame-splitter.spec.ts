import sharp from 'sharp';
import { JpegFrameSplitter, readJpegSize } from './jpeg-frame-splitter';

// Real JPEGs from sharp (libjpeg-turbo / mozjpeg): a baseline one and a progressive one (several
// scans with Huffman tables between them), from a noisy picture so the entropy-coded data is full
// of stuffed FF 00 bytes.
async function jpegs(): Promise<{ baseline: Buffer; progressive: Buffer }> {
  const width = 48;
  const height = 40;
  const pixels = Buffer.alloc(width * height * 3);
  let seed = 7;
  for (let i = 0; i < pixels.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    pixels[i] = seed >> 16;
  }
  const image = () => sharp(pixels, { raw: { width, height, channels: 3 } });
  return {
    baseline: await image().jpeg({ quality: 95 }).toBuffer(),
    progressive: await image().jpeg({ quality: 80, progressive: true, mozjpeg: true }).toBuffer(),
  };
}

/** A copy of `jpeg` with a comment segment after SOI whose payload holds FF D9 and FF D8. */
function withTrickyComment(jpeg: Buffer): Buffer {
  const payload = Buffer.from([0x41, 0xff, 0xd9, 0x42, 0xff, 0xd8, 0xff]);
  const segment = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, payload.length + 2]), payload]);
  return Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]);
}

/** Buffer-wise comparison: jest's deep equality walks every byte and is far too slow for the loops below. */
function same(frames: Buffer[], images: Buffer[]): boolean {
  return frames.length === images.length && frames.every((frame, i) => frame.equals(images[i]!));
}

function splitAll(chunks: Buffer[], splitter = new JpegFrameSplitter()): Buffer[] {
  return chunks.flatMap((chunk) => splitter.push(chunk));
}

describe('JpegFrameSplitter', () => {
  let baseline: Buffer;
  let progressive: Buffer;

  beforeAll(async () => {
    ({ baseline, progressive } = await jpegs());
  });

  it('the test images are what they claim', () => {
    expect(baseline.includes(Buffer.from([0xff, 0x00]))).toBe(true);
    // Progressive: more than one start-of-scan.
    let scans = 0;
    for (let i = 0; i + 1 < progressive.length; i++)
      if (progressive[i] === 0xff && progressive[i + 1] === 0xda) scans++;
    expect(scans).toBeGreaterThan(1);
  });

  it('splits two images whatever byte the chunk boundary falls on', () => {
    const images = [baseline, withTrickyComment(progressive)];
    const stream = Buffer.concat(images);
    for (let cut = 0; cut <= stream.length; cut++) {
      const frames = splitAll([stream.subarray(0, cut), stream.subarray(cut)]);
      if (!same(frames, images)) throw new Error(`wrong split with a chunk boundary at byte ${cut}`);
    }
  });

  it('splits a stream fed one byte at a time, and in three pieces at every pair of a sample of positions', () => {
    const images = [withTrickyComment(baseline), progressive, baseline];
    const stream = Buffer.concat(images);
    const bytes = [...stream].map((byte) => Buffer.from([byte]));
    expect(same(splitAll(bytes), images)).toBe(true);
    for (let a = 0; a < stream.length; a += 97) {
      for (let b = a; b <= stream.length; b += 89) {
        const frames = splitAll([stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)]);
        if (!same(frames, images))
          throw new Error(`wrong split with chunk boundaries at bytes ${a} and ${b}`);
      }
    }
  });

  it('returns copies that do not share memory with the chunks', () => {
    const chunk = Buffer.from(baseline);
    const [frame] = new JpegFrameSplitter().push(chunk);
    chunk.fill(0);
    expect(frame!.equals(baseline)).toBe(true);
  });

  it('skips and counts bytes outside images', () => {
    const splitter = new JpegFrameSplitter();
    const garbage = Buffer.from([0x00, 0xff, 0x12, 0xff, 0xff, 0x01]);
    const frames = splitAll([garbage, baseline, garbage, baseline], splitter);
    expect(frames).toEqual([baseline, baseline]);
    expect(splitter.discardedBytes).toBe(2 * garbage.length);
    expect(splitter.pendingBytes).toBe(0);
  });

  it('keeps an unfinished image pending, and emits nothing for it', () => {
    const splitter = new JpegFrameSplitter();
    const cut = baseline.subarray(0, baseline.length - 10);
    expect(splitAll([baseline, cut], splitter)).toEqual([baseline]);
    expect(splitter.pendingBytes).toBe(cut.length);
  });

  it('drops an image cut off in its scan data and keeps the next one', () => {
    // (An image cut inside a header segment would lend the next image's first bytes to that
    // segment's payload; ffmpeg only ever cuts an image at the very end of its output.)
    const splitter = new JpegFrameSplitter();
    const broken = baseline.subarray(0, baseline.length - 10);
    expect(splitAll([broken, progressive], splitter)).toEqual([progressive]);
    expect(splitter.discardedBytes).toBe(broken.length);
  });

  it('drops an image larger than maxFrameBytes and resynchronises', () => {
    const splitter = new JpegFrameSplitter({ maxFrameBytes: baseline.length - 1 });
    const small = progressive.length < baseline.length ? progressive : undefined;
    const frames = splitAll([baseline, ...(small ? [small] : [])], splitter);
    expect(frames).toEqual(small ? [small] : []);
    expect(splitter.discardedBytes).toBeGreaterThan(0);
  });

  it('passes restart markers and fill bytes in entropy-coded data', () => {
    // Structure only (not decodable): SOI, SOS with a minimal header, scan data with FF 00,
    // RST0, a fill byte before RST7, then EOI.
    const image = Buffer.from([
      0xff, 0xd8, 0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00, 0x12, 0xff, 0x00, 0x34, 0xff,
      0xd0, 0x56, 0xff, 0xff, 0xd7, 0x78, 0xff, 0xd9,
    ]);
    expect(splitAll([image, image])).toEqual([image, image]);
  });
});

describe('readJpegSize', () => {
  it('reads baseline and progressive frame headers', async () => {
    const { baseline, progressive } = await jpegs();
    expect(readJpegSize(baseline)).toEqual({ width: 48, height: 40 });
    expect(readJpegSize(progressive)).toEqual({ width: 48, height: 40 });
    expect(readJpegSize(withTrickyComment(baseline))).toEqual({ width: 48, height: 40 });
  });

  it('answers undefined for what is not a JPEG or has no frame header', async () => {
    expect(readJpegSize(Buffer.from('not a jpeg'))).toBeUndefined();
    expect(readJpegSize(Buffer.from([0xff, 0xd8, 0xff, 0xd9]))).toBeUndefined();
    const { baseline } = await jpegs();
    expect(readJpegSize(baseline.subarray(0, 8))).toBeUndefined();
  });
});
