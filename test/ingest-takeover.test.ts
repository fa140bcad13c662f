import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Queue } from 'bullmq';
import type { BullJobQueue } from '../src/jobs/bullmq-job-queue';
import { QUEUES } from '../src/jobs/job-registry';
import type Redis from 'ioredis';
import pino from 'pino';
import { loadConfig } from '../src/config/config';
import { tenantDb } from '../src/db/tenant-scoped-db';
import { LeaseLostError, SamplerLease } from '../src/ingest/sampler-lease';
import { StreamRecorder } from '../src/ingest/stream-recorder';
import type { StreamSupervisor } from '../src/ingest/stream-supervisor';
import { createRedis } from '../src/redis/redis-client';
import { LocalFrameStore } from '../src/storage/frame-store';
import { startTestApi, TestApi } from './support/api-harness';
import { mediaFixtures } from './support/media-fixtures';
import {
  LiveHls,
  MediaHttpServer,
  startLiveHls,
  startMediaHttpServer,
  waitFor,
} from './support/media-sources';
import { singleStreamSupervisor } from './support/stream-worker-harness';
import { createTenantFixture, TenantFixture } from './support/tenant-fixture';
import { testJobQueue } from './support/test-jobs';

const LEASE_MS = 2_000;

/**
 * Two workers on a live HLS source with real samplers: the owner crashes, the other takes the
 * stream over once the lease expires, and the stream's frames and windows go on with no
 * duplicate and no gap in the window numbers.
 */
describe('ingest take-over after a worker crash (real ffmpeg, PostgreSQL and Redis)', () => {
  let api: TestApi;
  let tenant: TenantFixture;
  let http: MediaHttpServer;
  let live: LiveHls;
  let connection: Redis;
  let jobs: BullJobQueue;
  let queue: Queue;
  let root: string;

  beforeAll(async () => {
    api = await startTestApi();
    tenant = await createTenantFixture(api, 'takeover');
    const media = await mediaFixtures();
    http = await startMediaHttpServer(media.dir);
    live = await startLiveHls(media.dir, `takeover-${randomBytes(3).toString('hex')}`);
    connection = createRedis(api.config.REDIS_URL, { forWorkers: true });
    jobs = testJobQueue(connection);
    queue = jobs.queue(QUEUES.analysis);
    root = await mkdtemp(path.join(tmpdir(), 'vigil-takeover-'));
  }, 120_000);

  afterAll(async () => {
    await live.stop();
    await http.close();
    await queue.obliterate({ force: true });
    await jobs.close();
    await connection.quit();
    await api.stop();
    await rm(root, { recursive: true, force: true });
  });

  /** A worker on `redis` that samples `streamId` for real. */
  const supervisorOf = (redis: Redis, workerName: string, streamId: string): StreamSupervisor =>
    singleStreamSupervisor({
      redis,
      workerName,
      leaseMs: LEASE_MS,
      streamId,
      runnerDeps: {
        prisma: api.prisma,
        store: new LocalFrameStore(root),
        jobs,
        config: loadConfig({ ...process.env, ALLOW_FILE_SOURCES: 'true', FILE_SOURCE_ROOT: root }),
        logger: pino({ level: 'silent' }),
      },
    });

  /** A stream on the live HLS source, windows of two frames every frame. */
  const liveStream = (name: string) =>
    api.prisma.stream.create({
      data: {
        tenantId: tenant.tenantId,
        name,
        sourceUrl: http.url(live.playlist),
        kind: 'HLS',
        status: 'ACTIVE',
        fps: 2,
        ssimThreshold: 1, // keep every frame: the tests count frames and windows
        windowSize: 2,
        windowStride: 1,
      },
    });

  it('hands the stream to the surviving worker without duplicating frames or windows', async () => {
    const stream = await liveStream('live lobby');
    const worker = (name: string) => supervisorOf(connection, name, stream.id);
    const db = tenantDb(api.prisma, tenant.tenantId);
    const windowCount = () => db.window.count({ where: { streamId: stream.id } });

    const first = worker('worker-a');
    first.start();
    await waitFor(async () => (await windowCount()) >= 3, 30_000);
    await first.crash();
    const atCrash = await windowCount();

    const second = worker('worker-b');
    second.start();
    try {
      await waitFor(async () => (await windowCount()) >= atCrash + 3, 30_000);
    } finally {
      await second.stop();
    }

    const frames = await db.frame.findMany({ where: { streamId: stream.id }, orderBy: { sequence: 'asc' } });
    const sequences = frames.map((frame) => frame.sequence);
    expect(new Set(sequences).size).toBe(sequences.length);
    const windows = await db.window.findMany({ where: { streamId: stream.id }, orderBy: { index: 'asc' } });
    expect(windows.map((window) => window.index)).toEqual(windows.map((_, i) => i));
    // Each window holds two consecutive kept frames, the second window starting where the first ended.
    const position = new Map(frames.map((frame, i) => [frame.id, i]));
    for (const window of windows) {
      const [a, b] = window.frameIds.map((id) => position.get(id)!);
      expect(b! - a!).toBe(1);
    }
    const queued = await Promise.all(windows.map((window) => queue.getJob(window.id)));
    expect(queued.every((job) => job !== undefined)).toBe(true);
  }, 90_000);

  it('stops a worker cut off from Redis before another takes its stream, and refuses writes under an older fence', async () => {
    const stream = await liveStream('live gate');
    const db = tenantDb(api.prisma, tenant.tenantId);
    const frames = () => db.frame.findMany({ where: { streamId: stream.id }, orderBy: { sequence: 'asc' } });

    // Worker A has a Redis connection of its own, which is then cut: it can no longer renew.
    const ownRedis = createRedis(api.config.REDIS_URL);
    const a = supervisorOf(ownRedis, 'worker-a', stream.id);
    a.start();
    await waitFor(async () => (await frames()).length >= 3, 30_000);
    const fenceA = (await db.stream.findUniqueOrThrow({ where: { id: stream.id } })).samplerFence;
    ownRedis.disconnect();

    const b = supervisorOf(connection, 'worker-b', stream.id);
    b.start();
    let takenAt = 0;
    try {
      await waitFor(async () => {
        const row = await db.stream.findUniqueOrThrow({ where: { id: stream.id } });
        if (row.samplerFence === fenceA) return false;
        if (takenAt === 0) takenAt = Date.now();
        return (await frames()).filter((frame) => frame.samplerFence === row.samplerFence).length >= 3;
      }, 30_000);
    } finally {
      await b.stop();
      await a.crash();
    }
    const all = await frames();
    const byA = all.filter((frame) => frame.samplerFence === fenceA);
    const byB = all.filter((frame) => frame.samplerFence !== fenceA);
    expect(byA.length).toBeGreaterThanOrEqual(3);
    expect(byB.length).toBeGreaterThanOrEqual(3);
    // A wrote nothing once B could take the stream: its last frame precedes B's claim and B's first frame.
    expect(Math.max(...byA.map((frame) => frame.createdAt.getTime()))).toBeLessThan(takenAt);
    expect(Math.max(...byA.map((frame) => frame.sequence))).toBeLessThan(
      Math.min(...byB.map((frame) => frame.sequence)),
    );
    const sequences = all.map((frame) => frame.sequence);
    expect(new Set(sequences).size).toBe(sequences.length);

    // A sampler that believes it still holds the lease (a process paused past its expiry) is refused by
    // the database itself: nothing is written under the old fence.
    const stale = await StreamRecorder.open(
      api.prisma,
      new LocalFrameStore(root),
      jobs,
      stream,
      new SamplerLease(fenceA, Date.now() + 60_000),
    );
    const before = all.length;
    await expect(
      stale.keep({
        sequence: stale.nextSequence + 1_000,
        capturedAt: new Date(),
        jpeg: Buffer.from([0xff, 0xd8, 0xff, 0xd9]),
        width: 2,
        height: 2,
      }),
    ).rejects.toBeInstanceOf(LeaseLostError);
    expect(await db.frame.count({ where: { streamId: stream.id } })).toBe(before);
  }, 90_000);
});
