/**
 * The local detector with its real models (CenterNet COCO-80 and nsfwjs MobileNetV2 on TensorFlow.js
 * WASM) on real pictures: frames of the fixed-camera pedestrian video vtest.avi, sampled by the
 * sampler's own ffmpeg pipeline (2 fps, 448 px), and synthetic pictures with nothing in them. No
 * database is involved. vtest.avi comes from `bash scripts/fetch-test-media.sh`; without it these
 * tests fail (they are the only check that the models load and see anything).
 */
import Ajv from 'ajv';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { buildLocalResult, gateMatches } from '../src/inference/local/local-result';
import {
  COCO_LABELS,
  decodeCenternetDetections,
  loadLocalDetector,
  NSFW_CLASSES,
  type FrameDetection,
  type LocalDetector,
} from '../src/inference/local/frame-detector';
import { DEFAULT_RESULT_SCHEMA } from '../src/templates/result-schema';
import {
  FFMPEG,
  runFfmpeg,
  sampleFile,
  TEST_MEDIA_DIR,
  vtestPath,
  type SampledFrame,
} from './support/test-media';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

jest.setTimeout(120_000);

function report(line: string): void {
  process.stdout.write(`[local-detector] ${line}\n`);
}

function expectBoxesInsideFrame(detection: FrameDetection): void {
  for (const { box, confidence } of detection.objects) {
    for (const value of [box.x, box.y, box.width, box.height, confidence]) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(1);
    }
    expect(box.width).toBeGreaterThan(0);
    expect(box.height).toBeGreaterThan(0);
    expect(box.x + box.width).toBeLessThanOrEqual(1 + 1e-9);
    expect(box.y + box.height).toBeLessThanOrEqual(1 + 1e-9);
  }
}

function nsfwSum(detection: FrameDetection): number {
  return detection.nsfw.reduce((sum, p) => sum + p.probability, 0);
}

describe('decodeCenternetDetections (CenterNet output rows -> objects)', () => {
  const options = { minScore: 0.3, maxObjects: 20 };

  it('scales input pixels to fractions of the frame and maps 0-based classes to COCO labels', () => {
    const objects = decodeCenternetDetections([[128, 256, 256, 512, 0.8, 16]], options);
    expect(objects).toEqual([
      { label: 'dog', confidence: 0.8, box: { x: 0.25, y: 0.5, width: 0.25, height: 0.5 } },
    ]);
    expect(COCO_LABELS).toHaveLength(80);
    expect(COCO_LABELS[0]).toBe('person');
  });

  it('drops low scores, unknown or NaN classes and empty boxes; clamps to the frame', () => {
    const objects = decodeCenternetDetections(
      [
        [0, 0, 100, 100, 0.29, 0],
        [0, 0, 100, 100, 0.9, 80],
        [0, 0, 100, 100, 0.9, Number.NaN],
        [50, 50, 50, 90, 0.9, 0],
        [-20, 400, 100, 530, 0.6, 2],
      ],
      options,
    );
    expect(objects).toEqual([
      { label: 'car', confidence: 0.6, box: { x: 0, y: 400 / 512, width: 100 / 512, height: 112 / 512 } },
    ]);
  });

  it('suppresses overlapping boxes of one class but keeps overlapping boxes of different classes', () => {
    const objects = decodeCenternetDetections(
      [
        [100, 100, 200, 300, 0.7, 0],
        [105, 100, 205, 300, 0.9, 0], // IoU ~0.9 with the first: the same person
        [300, 100, 400, 300, 0.5, 0], // another person
        [110, 150, 190, 250, 0.6, 24], // a backpack on the first person
      ],
      options,
    );
    expect(objects.map((o) => [o.label, o.confidence])).toEqual([
      ['person', 0.9],
      ['backpack', 0.6],
      ['person', 0.5],
    ]);
  });

  it('applies a per-label minimum instead of the global one, higher or lower', () => {
    const rows = [
      [0, 0, 100, 200, 0.32, 0], // person: kept only with the lower person minimum
      [200, 0, 300, 200, 0.5, 10], // fire hydrant: dropped by its higher minimum
      [300, 300, 400, 400, 0.45, 2], // car: the global minimum applies
      [400, 300, 500, 400, 0.2, 2], // car below it
    ];
    const byLabel = { person: 0.3, 'fire hydrant': 0.6 };
    const kept = (minScoreByLabel?: Record<string, number>) =>
      decodeCenternetDetections(rows, { minScore: 0.4, maxObjects: 20, minScoreByLabel }).map((o) => [
        o.label,
        o.confidence,
      ]);
    expect(kept(byLabel)).toEqual([
      ['car', 0.45],
      ['person', 0.32],
    ]);
    expect(kept()).toEqual([
      ['fire hydrant', 0.5],
      ['car', 0.45],
    ]);
  });

  it('refuses a per-label minimum for an unknown label or out of range, before loading anything', async () => {
    await expect(loadLocalDetector({ minScoreByLabel: { firehydrant: 0.5 } })).rejects.toThrow(
      'minScoreByLabel: "firehydrant" is not a COCO label',
    );
    await expect(loadLocalDetector({ minScoreByLabel: { person: 1.5 } })).rejects.toThrow(
      'minScoreByLabel: person must be from 0 to 1',
    );
  });

  it('keeps at most maxObjects, the best ones', () => {
    const rows = Array.from({ length: 30 }, (_, i) => [i * 16, 0, i * 16 + 10, 10, 0.31 + i / 100, 0]);
    const objects = decodeCenternetDetections(rows, { minScore: 0.3, maxObjects: 5 });
    expect(objects).toHaveLength(5);
    expect(objects[0]!.confidence).toBeCloseTo(0.6, 6);
  });
});

describe('the local detector on real pictures', () => {
  let detector: LocalDetector;
  let vtestFrames: SampledFrame[];
  let plain: Buffer;
  let testsrc: Buffer;
  let tensorsBeforeLoad: number;
  let rssAfterLoadMb: number;
  let rssGrowthMb: number;

  beforeAll(async () => {
    const vtest = vtestPath();
    if (!vtest) {
      throw new Error(
        `${TEST_MEDIA_DIR}/vtest.avi is missing: run \`bash scripts/fetch-test-media.sh\` (the local detector is tested on it)`,
      );
    }
    // Frames 10 s to 14 s in: several pedestrians in view (2 fps, 448x320, the sampler's own args).
    ({ frames: vtestFrames } = await sampleFile(vtest, { fps: 2, inputOptions: ['-ss', '10', '-t', '4'] }));
    expect(vtestFrames.length).toBeGreaterThanOrEqual(6);

    plain = await sharp({ create: { width: 448, height: 320, channels: 3, background: '#7f8a93' } })
      .jpeg({ quality: 90 })
      .toBuffer();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-local-detector-'));
    try {
      const file = path.join(dir, 'testsrc.jpg');
      await runFfmpeg([
        ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'],
        ...['-f', 'lavfi', '-i', 'testsrc=s=448x320:d=1', '-frames:v', '1', file],
      ]);
      testsrc = readFileSync(file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // engine().state rather than tf.memory(): the latter would initialise a backend (CPU) on the spot.
    tensorsBeforeLoad = tf.engine().state.numTensors;
    const started = Date.now();
    // Nothing is fetched: the .wasm binaries and both models come from node_modules.
    const fetchSpy = jest.spyOn(globalThis, 'fetch');
    // Jest runs every test file in one process (--runInBand): what loading adds is what counts.
    const rssBeforeLoadMb = process.memoryUsage().rss / 2 ** 20;
    try {
      detector = await loadLocalDetector();
      expect(fetchSpy).not.toHaveBeenCalled();
    } finally {
      fetchSpy.mockRestore();
    }
    rssAfterLoadMb = process.memoryUsage().rss / 2 ** 20;
    rssGrowthMb = rssAfterLoadMb - rssBeforeLoadMb;
    report(
      `models loaded in ${Date.now() - started} ms; RSS ${rssAfterLoadMb.toFixed(0)} MB; ffmpeg: ${FFMPEG}`,
    );
  });

  afterAll(() => {
    detector?.dispose();
  });

  it('runs on the WASM backend', () => {
    expect(tf.getBackend()).toBe('wasm');
  });

  it("finds people in a frame of vtest.avi, inside the frame, with a 'Neutral' NSFW verdict", async () => {
    const detection = await detector.detect(vtestFrames[0]!.jpeg);
    const people = detection.objects.filter((o) => o.label === 'person');
    report(
      `vtest frame at 10 s: ${detection.objects.map((o) => `${o.label} ${o.confidence.toFixed(2)}`).join(', ')}; ` +
        `NSFW ${detection.nsfw.map((p) => `${p.className} ${p.probability.toFixed(3)}`).join(', ')}; ` +
        `timings ${JSON.stringify(detection.timings)}`,
    );
    expect(people.length).toBeGreaterThanOrEqual(2);
    expect(people[0]!.confidence).toBeGreaterThanOrEqual(0.5);
    expect({ width: detection.width, height: detection.height }).toEqual({ width: 448, height: 320 });
    expectBoxesInsideFrame(detection);
    // Pedestrians are upright: taller than wide, and each a small part of the picture.
    for (const person of people) {
      expect(person.box.height).toBeGreaterThan(person.box.width);
      expect(person.box.width * person.box.height).toBeLessThan(0.2);
    }
    expect(detection.nsfw.map((p) => p.className).sort()).toEqual([...NSFW_CLASSES].sort());
    expect(nsfwSum(detection)).toBeCloseTo(1, 3);
    expect(detection.nsfw[0]!.className).toBe('Neutral');
    expect(detection.nsfw[0]!.probability).toBeGreaterThan(0.8);
  });

  it('finds no person in a plain grey picture nor in the ffmpeg test card', async () => {
    for (const [name, jpeg] of [
      ['plain', plain],
      ['testsrc', testsrc],
    ] as const) {
      const detection = await detector.detect(jpeg);
      report(
        `${name}: ${detection.objects.map((o) => `${o.label} ${o.confidence.toFixed(2)}`).join(', ') || 'nothing'}`,
      );
      expect(detection.objects.filter((o) => o.label === 'person')).toEqual([]);
      expectBoxesInsideFrame(detection);
      expect(nsfwSum(detection)).toBeCloseTo(1, 3);
    }
  });

  it('keeps the number of tensors stable over repeated detections', async () => {
    await detector.detect(vtestFrames[1]!.jpeg);
    const before = tf.memory().numTensors;
    for (const frame of vtestFrames.slice(1, 6)) await detector.detect(frame.jpeg);
    expect(tf.memory().numTensors).toBe(before);
    // Only the models' weights stay: the detector holds no per-frame tensors between calls.
    expect(before).toBeGreaterThan(tensorsBeforeLoad);
  });

  it('rejects a damaged JPEG without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const jpeg = vtestFrames[0]!.jpeg;
    await expect(detector.detect(jpeg.subarray(0, Math.floor(jpeg.length / 2)))).rejects.toThrow();
    await expect(detector.detect(Buffer.from('not a picture'))).rejects.toThrow();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('shares the models and the backend with a second detector, and frees them with the last one', async () => {
    const warn = jest.spyOn(console, 'warn');
    try {
      const loaded = tf.memory().numTensors;
      const second = await loadLocalDetector({ minObjectScore: 0.6, maxObjects: 2 });
      expect(tf.memory().numTensors).toBe(loaded); // no second copy of the weights
      expect(tf.getBackend()).toBe('wasm');
      const strict = await second.detect(vtestFrames[0]!.jpeg);
      expect(strict.objects.length).toBeLessThanOrEqual(2);
      for (const object of strict.objects) expect(object.confidence).toBeGreaterThanOrEqual(0.6);
      second.dispose();
      second.dispose(); // idempotent
      await expect(second.detect(vtestFrames[0]!.jpeg)).rejects.toThrow('disposed');
      // The first detector still works: its hold keeps the models.
      expect((await detector.detect(vtestFrames[0]!.jpeg)).objects.length).toBeGreaterThan(0);
      expect(warn).not.toHaveBeenCalled(); // e.g. tfjs' "backend was already registered"
    } finally {
      warn.mockRestore();
    }

    detector.dispose();
    await new Promise((resolve) => setImmediate(resolve));
    expect(tf.memory().numTensors).toBe(tensorsBeforeLoad);
    // And loading again after that works (the backend is not set up a second time).
    detector = await loadLocalDetector();
    expect((await detector.detect(vtestFrames[0]!.jpeg)).objects.some((o) => o.label === 'person')).toBe(
      true,
    );
  });

  it('gives a window of vtest.avi a valid, safe result that passes a people gate and fails a dog gate', async () => {
    const window = vtestFrames.slice(0, 4);
    const detections: FrameDetection[] = [];
    for (const frame of window) detections.push(await detector.detect(frame.jpeg));
    const start = Date.parse('2026-11-21T14:23:00.000Z');
    const result = buildLocalResult(
      window.map((frame) => ({ capturedAt: new Date(start + frame.seconds * 1000) })),
      detections,
      { nsfwThreshold: 0.7 },
    );
    const validate = new Ajv({ strict: false, allErrors: true }).compile(DEFAULT_RESULT_SCHEMA);
    expect(validate(result) ? [] : validate.errors).toEqual([]);
    expect(result.verdict).toBe('safe');
    const person = result.objects.find((o) => o.label === 'person');
    expect(person?.frames).toEqual([0, 1, 2, 3]);
    expect(person?.count).toBeGreaterThanOrEqual(2);

    const options = { nsfwThreshold: 0.7 };
    expect(
      gateMatches({ objects: ['person'], nsfw: true, minConfidence: 0.5 }, detections, options).matched,
    ).toBe(true);
    expect(
      gateMatches({ objects: ['dog'], nsfw: true, minConfidence: 0.5 }, detections, options).matched,
    ).toBe(false);
  });

  it('adds less than 700 MB of memory when the models load', () => {
    expect(rssGrowthMb).toBeLessThan(700);
  });
});
