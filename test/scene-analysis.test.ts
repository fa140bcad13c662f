/**
 * The local analyser's scene on real footage, through the real pipeline: vtest.avi sampled by the
 * sampler's ffmpeg command at 2 fps, windows of 8 frames every 4 (as streams default to), motion on
 * the grayscale planes, the real CenterNet detector (in its pool of threads) where something moved, the tracker, zones and
 * lines, and the scene's state in the real Redis between windows.
 *
 * What happens in the footage was written down by looking at its frames (one a second, with the
 * line drawn in): in the first 27 s three people cross the "west" line, all walking towards the left
 * edge, at about 18 s (light blue coat), 20.5 s (dark top, jeans) and 25 s (dark jacket); nobody
 * sets foot on the lawn until about 50-51 s, when two people walk onto it from the right edge and
 * across it. The test allows two seconds either way and no invented events beyond that.
 */
import Redis from 'ioredis';
import { SceneAnalysis, type SceneFrame } from '../src/analysis/scene-analysis';
import { LocalDetectorPool } from '../src/inference/local/detector-pool';
import type { ResultEvent } from '../src/inference/local/scene-result';
import { DEFAULT_RESULT_SCHEMA } from '../src/templates/result-schema';
import Ajv from 'ajv';
import { sampleFile, vtestPath } from './support/test-media';
import { VTEST_LAWN, VTEST_WEST_LINE } from './support/vtest-scene';

jest.setTimeout(300_000);

const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);
const WINDOW = 8;
const STRIDE = 4;
const SCENE = { version: 1, regions: [VTEST_LAWN, VTEST_WEST_LINE] };

const seconds = (iso: string) => (Date.parse(iso) - T0) / 1000;

describe('the scene of vtest.avi, window by window', () => {
  let frames: SceneFrame[];
  let local: LocalDetectorPool;
  const connections: Redis[] = [];
  const redis = () => {
    const connection = new Redis(process.env.REDIS_URL!);
    connections.push(connection);
    return connection;
  };
  const tenantId = 'scene-test-tenant';
  const validate = new Ajv({ strict: false }).compile(DEFAULT_RESULT_SCHEMA);

  beforeAll(async () => {
    const vtest = vtestPath();
    if (!vtest) throw new Error('vtest.avi is missing: run `bash scripts/fetch-test-media.sh`');
    const sampled = await sampleFile(vtest, { fps: 2, inputOptions: ['-t', '58'] });
    frames = sampled.frames.map((frame) => ({
      id: `vtest-${frame.index}`,
      jpeg: frame.jpeg,
      capturedAt: new Date(T0 + frame.index * 500),
    }));
    local = new LocalDetectorPool({ threads: 2 });
  });

  afterAll(async () => {
    await local.dispose();
    await Promise.all(connections.map((connection) => connection.quit()));
  });

  /** Runs the windows from `first` on, handing over to a second worker (its own Redis connection) at `takeOverAt`. */
  async function analyse(streamId: string, takeOverAt: number) {
    const workers = [redis(), redis()].map(
      (connection) => new SceneAnalysis({ redis: connection, detect: (batch) => local.detect(batch) }),
    );
    await workers[0]!.forget(tenantId, streamId);
    const events: ResultEvent[] = [];
    const trackIdsByWindow: number[][] = [];
    let detected = 0;
    let stepped = 0;
    for (let start = 0; start + WINDOW <= frames.length; start += STRIDE) {
      const worker = start < takeOverAt ? workers[0]! : workers[1]!;
      const outcome = await worker.analyseWindow(
        tenantId,
        streamId,
        frames.slice(start, start + WINDOW),
        SCENE,
        0.7,
      );
      expect(validate(outcome.result)).toBe(true);
      events.push(...outcome.result.events);
      trackIdsByWindow.push(outcome.result.tracks.map((track) => track.id));
      detected += outcome.detectedFrames;
      stepped += outcome.steppedFrames;
    }
    return { events, trackIdsByWindow, detected, stepped };
  }

  it('finds the line crossings and the steps onto the lawn written down from the footage, and nothing invented', async () => {
    const { events, detected, stepped, trackIdsByWindow } = await analyse('vtest-stream', 60);
    process.stdout.write(
      `[scene] ${stepped} frames stepped, the detector looked at ${detected}; events: ` +
        events.map((event) => `${event.type}:${event.zone}@${seconds(event.end)}s`).join(' ') +
        '\n',
    );
    // Each frame is stepped once although windows overlap.
    expect(stepped).toBe(frames.length);

    const crossings = events.filter((event) => event.type === 'cross' && seconds(event.end) < 27);
    expect(crossings.map((event) => event.direction)).toEqual(['to-right', 'to-right', 'to-right']);
    const expected = [18, 20.5, 25];
    crossings.forEach((event, index) =>
      expect(Math.abs(seconds(event.end) - expected[index]!)).toBeLessThanOrEqual(2),
    );
    expect(new Set(crossings.map((event) => event.trackIds[0])).size).toBe(3);

    const lawnEntries = events.filter((event) => event.type === 'enter' && event.zone === 'lawn');
    expect(lawnEntries.filter((event) => seconds(event.end) < 48)).toEqual([]);
    const steppingOn = lawnEntries.filter((event) => seconds(event.end) >= 48);
    expect(seconds(steppingOn[0]!.end)).toBeGreaterThanOrEqual(49);
    expect(seconds(steppingOn[0]!.end)).toBeLessThanOrEqual(55);
    expect(new Set(steppingOn.map((event) => event.trackIds[0])).size).toBeGreaterThanOrEqual(2);

    // An event is reported by one window only: every id is unique.
    expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
    // The second worker took over at frame 60 and continued the first one's tracks.
    const before = new Set(trackIdsByWindow[60 / STRIDE - 1]);
    expect(trackIdsByWindow[60 / STRIDE]!.some((id) => before.has(id))).toBe(true);
  });

  it("starts afresh (new ids, background learnt again) when the stream's scene state is gone", async () => {
    const worker = new SceneAnalysis({ redis: redis(), detect: (batch) => local.detect(batch) });
    await worker.forget(tenantId, 'fresh-stream');
    const first = await worker.analyseWindow(tenantId, 'fresh-stream', frames.slice(0, WINDOW), SCENE, 0.7);
    expect(first.result.tracks.length).toBeGreaterThan(0);
    await worker.forget(tenantId, 'fresh-stream');
    const again = await worker.analyseWindow(
      tenantId,
      'fresh-stream',
      frames.slice(STRIDE, STRIDE + WINDOW),
      SCENE,
      0.7,
    );
    expect(again.steppedFrames).toBe(WINDOW);
    // Nothing is remembered from before: every track was first seen in this window.
    const windowStart = frames[STRIDE]!.capturedAt.getTime();
    expect(again.result.tracks.length).toBeGreaterThan(0);
    for (const track of again.result.tracks)
      expect(Date.parse(track.firstSeen)).toBeGreaterThanOrEqual(windowStart);
  });
});
