/**
 * Each kind of scene event on clips made with ffmpeg, through the real pipeline (the sampler's own
 * ffmpeg command, motion, the real CenterNet detector (in its pool of threads), the tracker, zones and lines, Redis between
 * windows). The actor is a real person: a walker cut out of a vtest.avi frame and moved over a
 * plain background by ffmpeg's overlay filter, so the detector sees a person and the script of the
 * clip says exactly what happens and when:
 * - walk: walks right for 5 s (crossing the "gate" line, entering the "bench" zone), stands 7 s,
 *   walks back left out of the zone and across the line, against its allowed direction;
 * - run: runs across the whole picture in 1.7 s (about 2 body heights a second);
 * - fall: stands for 3 s, then lies on the ground (the cut-out turned on its side).
 * Objects left behind are covered by the unit tests of posture-events: the detector does not see a
 * drawn box as a bag, and there is no real bag in the footage to cut out.
 */
import path from 'node:path';
import Redis from 'ioredis';
import { SceneAnalysis, type SceneFrame } from '../src/analysis/scene-analysis';
import { LocalDetectorPool } from '../src/inference/local/detector-pool';
import type { ResultEvent } from '../src/inference/local/scene-result';
import type { SceneRegion } from '../src/inference/local/zone-events';
import { SceneClips } from './support/scene-clips';
import { sampleFile } from './support/test-media';

jest.setTimeout(300_000);

const T0 = Date.UTC(2026, 11, 7, 9, 0, 0);

const bench: SceneRegion = {
  kind: 'zone',
  id: 'bench',
  name: 'bench',
  labels: ['person'],
  dwellSeconds: 5,
  polygon: [
    { x: 0.55, y: 0.5 },
    { x: 0.9, y: 0.5 },
    { x: 0.9, y: 1 },
    { x: 0.55, y: 1 },
  ],
};
/** Drawn top to bottom: walking towards the right of the picture crosses it "to-left". */
const gate: SceneRegion = {
  kind: 'line',
  id: 'gate',
  name: 'gate',
  labels: ['person'],
  from: { x: 0.35, y: 0.3 },
  to: { x: 0.35, y: 0.95 },
  allowedDirection: 'to-left',
};

describe('scene events on scripted clips', () => {
  const clips = new SceneClips();
  let local: LocalDetectorPool;
  let redis: Redis;

  beforeAll(async () => {
    await clips.prepare();
    local = new LocalDetectorPool({ threads: 2 });
    redis = new Redis(process.env.REDIS_URL!);
  });

  afterAll(async () => {
    await local.dispose();
    await redis.quit();
    clips.remove();
  });

  /** The clip's events, analysed in windows of 8 frames every 4, as a stream would be. */
  async function eventsOf(file: string, fps: number, regions: SceneRegion[]): Promise<ResultEvent[]> {
    const sampled = await sampleFile(file, { fps });
    const frames: SceneFrame[] = sampled.frames.map((frame) => ({
      id: `${file}-${frame.index}`,
      jpeg: frame.jpeg,
      capturedAt: new Date(T0 + frame.seconds * 1000),
    }));
    const scene = new SceneAnalysis({ redis, detect: (batch) => local.detect(batch) });
    const streamId = path.basename(file);
    await scene.forget('clips', streamId);
    const events: ResultEvent[] = [];
    for (let start = 0; start < frames.length; start += 4) {
      const window = frames.slice(start, start + 8);
      const outcome = await scene.analyseWindow('clips', streamId, window, { version: 1, regions }, 0.7);
      events.push(...outcome.result.events);
      if (start + 8 >= frames.length) break;
    }
    return events;
  }

  const at = (event: ResultEvent) => (Date.parse(event.end) - T0) / 1000;

  it('walk: crosses the line, enters the zone, loiters, leaves and crosses back the wrong way', async () => {
    const file = await clips.walk();
    const events = await eventsOf(file, 2, [bench, gate]);
    expect(events.map((event) => [event.type, event.zone, event.direction ?? null])).toEqual([
      ['cross', 'gate', 'to-left'],
      ['enter', 'bench', null],
      ['dwell', 'bench', null],
      ['leave', 'bench', null],
      ['cross', 'gate', 'to-right'],
      ['wrong-way', 'gate', 'to-right'],
    ]);
    // When the script says (the feet reach the line at 2.3 s and the zone at 3.8 s; back at 13.2 s and 14.7 s).
    const expected = [2.3, 3.8, 8.8, 13.2, 14.7, 14.7];
    events.forEach((event, index) => expect(Math.abs(at(event) - expected[index]!)).toBeLessThanOrEqual(1));
    expect(events[2]!.seconds).toBeGreaterThanOrEqual(5);
    expect(new Set(events.flatMap((event) => event.trackIds))).toEqual(new Set([1]));
  });

  it('run: a person crossing the picture at about two body heights a second runs, once', async () => {
    const file = await clips.clip('run', 3, [clips.walker], "[0][1]overlay=x='-80+500*t':y=250:eval=frame");
    const events = await eventsOf(file, 4, []);
    expect(events.map((event) => event.type)).toEqual(['run']);
    expect(events[0]!.speed).toBeGreaterThanOrEqual(1.8);
  });

  it('fall: a standing person who ends up lying falls, once, a second after going down', async () => {
    const file = await clips.clip(
      'fall',
      8,
      [clips.walker, clips.lying],
      "[0][1]overlay=x=340:y=250:enable='lt(t,3)'[a];[a][2]overlay=x=300:y=380:enable='gte(t,3)'",
    );
    const events = await eventsOf(file, 2, []);
    expect(events.map((event) => event.type)).toEqual(['fall']);
    expect(Math.abs((Date.parse(events[0]!.start) - T0) / 1000 - 3)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(at(events[0]!) - 4)).toBeLessThanOrEqual(1);
  });
});
