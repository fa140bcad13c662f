import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
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
import { mediaFixtures, MediaFixtures } from './support/media-fixtures';
import { MediaHttpServer, startMediaHttpServer, unusedPort, waitFor } from './support/media-sources';
import { createTenantFixture, TenantFixture } from './support/tenant-fixture';

/** The whole ingest path for one stream: real ffmpeg, real HTTP source, PostgreSQL, Redis, frame folder. */
describe('stream runner (sampler -> dedup -> frames -> windows -> queue)', () => {
  let api: TestApi;
  let tenant: TenantFixture;
  let media: MediaFixtures;
  let http: MediaHttpServer;
  let connection: Redis;
  let queue: Queue;
  let root: string;
  let deps: StreamRunnerDeps;

  beforeAll(async () => {
    api = await startTestApi();
    tenant = await createTenantFixture(api, 'runner');
    media = await mediaFixtures();
    http = await startMediaHttpServer(media.dir);
    connection = createRedis(api.config.REDIS_URL, { forWorkers: true });
    queue = new Queue(`analysis-runner-${randomBytes(4).toString('hex')}`, { connection });
    root = await mkdtemp(path.join(tmpdir(), 'vigil-runner-'));
    deps = {
      prisma: api.prisma,
      store: new LocalFrameStore(root),
      analysisQueue: queue,
      // Loopback sources are allowed only with file sources enabled (a development setting).
      config: loadConfig({ ...process.env, ALLOW_FILE_SOURCES: 'true', FILE_SOURCE_ROOT: media.dir }),
      logger: pino({ level: 'silent' }),
      backoff: () => 100,
    };
  }, 120_000);

  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
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

  it('samples a finite HTTP clip into stored frames and queued windows, then marks it ENDED', async () => {
    const stream = await activeStream(http.url(path.basename(media.testsrc)), 'HTTP');
    const runner = startStreamRunner(deps, stream);
    const db = tenantDb(api.prisma, tenant.tenantId);
    await waitFor(
      async () => (await db.stream.findUniqueOrThrow({ where: { id: stream.id } })).status === 'ENDED',
      60_000,
    );
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

  it('shows a refused source as ERROR with its reason, keeps retrying, and stops cleanly', async () => {
    const port = await unusedPort();
    const stream = await activeStream(`http://user:hunter2@127.0.0.1:${port}/live.ts`, 'HTTP');
    const runner = startStreamRunner(deps, stream);
    const db = tenantDb(api.prisma, tenant.tenantId);
    await waitFor(
      async () => (await db.stream.findUniqueOrThrow({ where: { id: stream.id } })).status === 'ERROR',
      30_000,
    );
    const row = await db.stream.findUniqueOrThrow({ where: { id: stream.id } });
    expect(row.lastError).toMatch(/^connection-refused: /);
    expect(row.lastError).not.toContain('hunter2');
    await runner.stop();
    // A pause by a user is never overwritten by the runner.
    await db.stream.update({ where: { id: stream.id }, data: { status: 'PAUSED' } });
    expect((await db.stream.findUniqueOrThrow({ where: { id: stream.id } })).status).toBe('PAUSED');
  }, 60_000);
});
