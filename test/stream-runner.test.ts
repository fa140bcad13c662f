import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Queue } from 'bullmq';
import type { BullJobQueue } from '../src/jobs/bullmq-job-queue';
import { QUEUES } from '../src/jobs/job-registry';
import type Redis from 'ioredis';
import pino from 'pino';
import sharp from 'sharp';
import { loadConfig } from '../src/config/config';
import { tenantDb } from '../src/db/tenant-scoped-db';
import type { Stream } from '../src/generated/prisma/client';
import { startStreamRunner, StreamRunnerDeps } from '../src/ingest/stream-runner';
import { createRedis } from '../src/redis/redis-client';
import { LocalFrameStore } from '../src/storage/frame-store';
import { startTestApi, TestApi } from './support/api-harness';
import { ffmpeg, mediaFixtures, MediaFixtures } from './support/media-fixtures';
import { MediaHttpServer, startMediaHttpServer, unusedPort, waitFor } from './support/media-sources';
import { createTenantFixture, TenantFixture } from './support/tenant-fixture';
import { testJobQueue } from './support/test-jobs';

/** The whole ingest path for one stream: real ffmpeg, real HTTP source, PostgreSQL, Redis, frame folder. */
describe('stream runner (sampler -> dedup -> frames -> windows -> queue)', () => {
  let api: TestApi;
  let tenant: TenantFixture;
  let media: MediaFixtures;
  let http: MediaHttpServer;
  let connection: Redis;
  let jobs: BullJobQueue;
  let queue: Queue;
  let root: string;
  let deps: StreamRunnerDeps;

  beforeAll(async () => {
    api = await startTestApi();
    tenant = await createTenantFixture(api, 'runner');
    media = await mediaFixtures();
    http = await startMediaHttpServer(media.dir);
    connection = createRedis(api.config.REDIS_URL, { forWorkers: true });
    jobs = testJobQueue(connection);
    queue = jobs.queue(QUEUES.analysis);
    root = await mkdtemp(path.join(tmpdir(), 'vigil-runner-'));
    deps = {
      prisma: api.prisma,
      store: new LocalFrameStore(root),
      jobs,
      // Loopback sources are allowed only with file sources enabled (a development setting).
      config: loadConfig({ ...process.env, ALLOW_FILE_SOURCES: 'true', FILE_SOURCE_ROOT: media.dir }),
      logger: pino({ level: 'silent' }),
      backoff: () => 100,
    };
  }, 120_000);

  afterAll(async () => {
    await queue.obliterate({ force: true });
    await jobs.close();
    await connection.quit();
    await http.close();
    await api.stop();
    await rm(root, { recursive: true, force: true });
  });

  async function activeStream(sourceUrl: string, kind: Stream['kind']): Promise<Stream> {
    return api.prisma.stream.create({
      data: {
        tenantId: tenant.tenantId,
        name: `runner-${randomBytes(4).toString('hex')}`,
        sourceUrl,
        kind,
        status: 'ACTIVE',
        fps: 2,
        windowSize: 4,
        windowStride: 2,
      },
    });
  }

  /** Waits until the stream shows `status`. */
  async function waitForStatus(stream: Stream, status: Stream['status'], timeoutMs: number): Promise<void> {
    const db = tenantDb(api.prisma, stream.tenantId);
    await waitFor(
      async () => (await db.stream.findUniqueOrThrow({ where: { id: stream.id } })).status === status,
      timeoutMs,
    );
  }

  it('samples a finite HTTP clip into stored frames and queued windows, then marks it ENDED', async () => {
    const stream = await activeStream(http.url(path.basename(media.testsrc)), 'HTTP');
    const runner = startStreamRunner(deps, stream);
    const db = tenantDb(api.prisma, tenant.tenantId);
    await waitForStatus(stream, 'ENDED', 60_000);
    await runner.stop();

    const row = await db.stream.findUniqueOrThrow({ where: { id: stream.id } });
    expect(row.progressPercent).toBe(100);
    expect(row.framesSampled).toBeGreaterThanOrEqual(19); // 10 s at 2 fps
    expect(row.framesSampled).toBeLessThanOrEqual(21);
    expect(row.framesKept + row.framesSkipped).toBe(row.framesSampled);
    expect(row.framesKept).toBeGreaterThan(10); // testsrc changes every frame

    const frames = await db.frame.findMany({ where: { streamId: stream.id }, orderBy: { sequence: 'asc' } });
    expect(frames).toHaveLength(row.framesKept);
    const first = await sharp(await deps.store.get(frames[0]!.storageKey)).metadata();
    expect([first.width! % 32, first.height! % 32, Math.max(first.width!, first.height!) <= 448]).toEqual([
      0,
      0,
      true,
    ]);

    const windows = await db.window.findMany({ where: { streamId: stream.id }, orderBy: { index: 'asc' } });
    expect(windows.length).toBe(Math.floor((frames.length - 4) / 2) + 1);
    expect(row.windowsQueued).toBe(windows.length);
    for (const window of windows) expect(await queue.getJob(window.id)).toBeDefined();
  }, 90_000);

  it('resumes a file where the stopped runner left it: each part sampled once, windows as for one run', async () => {
    // 12 s of testsrc (every frame differs), played at its own pace: 24 frames at 2 fps.
    const clip = path.join(media.dir, 'resume-12s.mp4');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=10:duration=12',
      '-pix_fmt',
      'yuv420p',
      clip,
    ]);
    const stream = await api.prisma.stream.update({
      where: { id: (await activeStream(pathToFileURL(clip).href, 'FILE')).id },
      data: { ssimThreshold: 1 }, // keep every frame: the test counts them
    });
    const db = tenantDb(api.prisma, tenant.tenantId);
    const frames = () => db.frame.findMany({ where: { streamId: stream.id }, orderBy: { sequence: 'asc' } });

    // The first worker loses the stream about a third of the way in; a new runner takes it.
    const first = startStreamRunner(deps, stream);
    await waitFor(async () => (await frames()).length >= 8, 30_000);
    await first.stop();
    const atStop = await db.stream.findUniqueOrThrow({ where: { id: stream.id } });
    expect(atStop.progressPercent).toBeGreaterThan(20);
    expect(atStop.progressPercent).toBeLessThan(80);
    const second = startStreamRunner(deps, stream);
    await waitForStatus(stream, 'ENDED', 30_000);
    await second.stop();

    const all = await frames();
    // Each part of the file once: positions 0, 0.5, ... 11.5 s, capture times on the file's clock.
    expect(all.map((frame) => frame.sourceOffset)).toEqual(all.map((_, i) => i / 2));
    expect(all).toHaveLength(24);
    const start = all[0]!.capturedAt.getTime();
    expect(all.map((frame) => frame.capturedAt.getTime() - start)).toEqual(all.map((_, i) => i * 500));
    expect(all.filter((frame) => frame.startsRun)).toHaveLength(1); // the first frame only: no break
    const windows = await db.window.findMany({ where: { streamId: stream.id }, orderBy: { index: 'asc' } });
    expect(windows).toHaveLength(Math.floor((24 - 4) / 2) + 1);
    const position = new Map(all.map((frame, i) => [frame.id, i]));
    windows.forEach((window, i) =>
      expect(window.frameIds.map((id) => position.get(id))).toEqual([0, 1, 2, 3].map((k) => 2 * i + k)),
    );
    const row = await db.stream.findUniqueOrThrow({ where: { id: stream.id } });
    expect(row.progressPercent).toBe(100);
    expect(row.framesKept).toBe(24);
  }, 90_000);

  it('shows a refused source as ERROR with its reason, keeps retrying, and stops cleanly', async () => {
    const port = await unusedPort();
    const stream = await activeStream(`http://user:hunter2@127.0.0.1:${port}/live.ts`, 'HTTP');
    const runner = startStreamRunner(deps, stream);
    const db = tenantDb(api.prisma, tenant.tenantId);
    await waitForStatus(stream, 'ERROR', 30_000);
    const row = await db.stream.findUniqueOrThrow({ where: { id: stream.id } });
    // A closed port on an address that is not public says no more than that (source-egress.test.ts).
    expect(row.lastError).toBe('source unreachable');
    expect(row.lastError).not.toContain('hunter2');
    await runner.stop();
    // A pause by a user is never overwritten by the runner.
    await db.stream.update({ where: { id: stream.id }, data: { status: 'PAUSED' } });
    expect((await db.stream.findUniqueOrThrow({ where: { id: stream.id } })).status).toBe('PAUSED');
  }, 60_000);

  it('slows a tenant’s streams while its analysis backlog is high, and brings them back once it drains', async () => {
    // A 40 s clip read at its own pace (a file source), so the rate is seen changing while it plays.
    const clip = path.join(media.dir, 'adaptive-40s.mp4');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=10:duration=40',
      '-pix_fmt',
      'yuv420p',
      '-y',
      clip,
    ]);
    // A tenant of its own, with a backlog above the bound before the stream starts.
    const own = await api.prisma.tenant.create({
      data: { slug: `adaptive-${randomBytes(4).toString('hex')}`, name: 'Adaptive' },
    });
    const db = tenantDb(api.prisma, own.id);
    const other = await db.stream.create({
      data: { tenantId: own.id, name: 'backlogged', sourceUrl: 'rtsp://camera.example.net/x', kind: 'RTSP' },
    });
    await Promise.all(
      [0, 1, 2, 3, 4].map((index) =>
        db.window.create({
          data: {
            tenantId: own.id,
            streamId: other.id,
            index,
            frameIds: [],
            startAt: new Date(),
            endAt: new Date(),
          },
        }),
      ),
    );
    const stream = await db.stream.create({
      data: {
        tenantId: own.id,
        name: 'adaptive',
        sourceUrl: pathToFileURL(clip).href,
        kind: 'FILE',
        status: 'ACTIVE',
        fps: 2,
        windowSize: 4,
        windowStride: 2,
      },
    });
    const runner = startStreamRunner(
      {
        ...deps,
        config: loadConfig({
          ...process.env,
          ALLOW_FILE_SOURCES: 'true',
          FILE_SOURCE_ROOT: media.dir,
          ADAPTIVE_BACKLOG_WINDOWS: '2',
          ADAPTIVE_MIN_FPS: '0.5',
        }),
      },
      stream,
    );
    try {
      const effective = async (): Promise<number | null> =>
        (await db.stream.findUniqueOrThrow({ where: { id: stream.id } })).effectiveFps;
      // 5 queued windows > 2: the rate halves at each counter flush, down to the floor.
      await waitFor(async () => (await effective()) === 0.5, 20_000);
      const slowed = await db.stream.findUniqueOrThrow({ where: { id: stream.id } });
      expect(slowed.status).toBe('ACTIVE');
      // Frames beyond the reduced rate are counted as skipped, not stored.
      expect(slowed.framesSkipped).toBeGreaterThan(0);
      // The backlog drains (an analysis worker keeps up, its own new windows included): the rate
      // doubles back to the stream's own fps.
      await waitFor(async () => {
        await db.window.updateMany({ where: { status: 'QUEUED' }, data: { status: 'DONE' } });
        return (await effective()) === 2;
      }, 20_000);
    } finally {
      await runner.stop();
    }
  }, 90_000);
});
