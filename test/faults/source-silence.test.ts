import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Redis from 'ioredis';
import pino from 'pino';
import { loadConfig } from '../../src/config/config';
import { tenantDb } from '../../src/db/tenant-scoped-db';
import type { BullJobQueue } from '../../src/jobs/bullmq-job-queue';
import { QUEUES } from '../../src/jobs/job-registry';
import { createRedis } from '../../src/redis/redis-client';
import { LocalFrameStore } from '../../src/storage/frame-store';
import { startTestApi, type TestApi } from '../support/api-harness';
import { mediaFixtures } from '../support/media-fixtures';
import {
  isRunning,
  type LiveHls,
  type MediaHttpServer,
  startLiveHls,
  startMediaHttpServer,
  waitFor,
} from '../support/media-sources';
import { singleStreamSupervisor } from '../support/stream-worker-harness';
import { createTenantFixture, type TenantFixture } from '../support/tenant-fixture';
import { testJobQueue } from '../support/test-jobs';

/**
 * A live HLS source whose encoder dies (the playlist stays, without an end tag, and nothing new
 * comes): the stream shows ERROR with a message a tenant may read, and once the source is back the
 * runner's own retries (the production backoff) bring it to ACTIVE with new frames and windows,
 * none doubled and no window number skipped.
 */
const SILENCE_MS = 2_000;
const ERROR_BOUND_MS = 15_000;
const RESUME_BOUND_MS = 30_000;

describe(`fault: a live source that stops sending (ERROR within ${ERROR_BOUND_MS / 1000} s, ACTIVE again within ${RESUME_BOUND_MS / 1000} s of its return)`, () => {
  let api: TestApi;
  let tenant: TenantFixture;
  let http: MediaHttpServer;
  let live: LiveHls | null = null;
  let mediaDir: string;
  let connection: Redis;
  let jobs: BullJobQueue;
  let root: string;
  const name = `silent-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    api = await startTestApi();
    tenant = await createTenantFixture(api, 'fault-silence');
    mediaDir = (await mediaFixtures()).dir;
    http = await startMediaHttpServer(mediaDir);
    live = await startLiveHls(mediaDir, name);
    connection = createRedis(api.config.REDIS_URL, { forWorkers: true });
    jobs = testJobQueue(connection);
    root = await mkdtemp(path.join(tmpdir(), 'vigil-silence-'));
  }, 120_000);

  afterAll(async () => {
    await live?.stop();
    await http?.close();
    await jobs?.queue(QUEUES.analysis).obliterate({ force: true });
    await jobs?.close();
    await connection?.quit();
    await api?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('shows ERROR with a generic lastError while the source is silent and resumes by itself when it returns', async () => {
    const config = loadConfig({
      ...process.env,
      ALLOW_FILE_SOURCES: 'true',
      FILE_SOURCE_ROOT: root,
      SOURCE_SILENCE_TIMEOUT_MS: String(SILENCE_MS),
    });
    const stream = await api.prisma.stream.create({
      data: {
        tenantId: tenant.tenantId,
        name: 'silent gate',
        sourceUrl: http.url(live!.playlist),
        kind: 'HLS',
        status: 'ACTIVE',
        fps: 2,
        ssimThreshold: 1, // keep every frame: the test counts frames and windows
        windowSize: 2,
        windowStride: 1,
      },
    });
    const supervisor = singleStreamSupervisor({
      redis: connection,
      workerName: 'worker-silence',
      leaseMs: 5_000,
      streamId: stream.id,
      runnerDeps: {
        prisma: api.prisma,
        store: new LocalFrameStore(root),
        jobs,
        config,
        logger: pino({ level: 'silent' }),
      },
    });
    const db = tenantDb(api.prisma, tenant.tenantId);
    const row = () => db.stream.findUniqueOrThrow({ where: { id: stream.id } });
    const frameCount = () => db.frame.count({ where: { streamId: stream.id } });

    supervisor.start();
    try {
      await waitFor(async () => (await frameCount()) >= 3, 30_000, 100);
      // The encoder dies: the playlist stays as it was, without an end tag.
      process.kill(live!.pid, 'SIGKILL');
      await waitFor(() => !isRunning(live!.pid), 5_000);
      const silencedAt = Date.now();
      await waitFor(async () => (await row()).status === 'ERROR', ERROR_BOUND_MS, 100);
      expect(Date.now() - silencedAt).toBeLessThan(ERROR_BOUND_MS);
      const failed = await row();
      expect(failed.lastError).toBeTruthy();
      // What every role of the tenant reads: no address, port, URL, path or tool output.
      expect(failed.lastError).not.toMatch(/127\.0\.0\.1|localhost|http|m3u8|\/tmp|ffmpeg|:\d{2,5}/i);
      const framesWhileSilent = await frameCount();

      live = await startLiveHls(mediaDir, name);
      const backAt = Date.now();
      await waitFor(
        async () => {
          const current = await row();
          return current.status === 'ACTIVE' && (await frameCount()) >= framesWhileSilent + 3;
        },
        RESUME_BOUND_MS,
        100,
      );
      expect(Date.now() - backAt).toBeLessThan(RESUME_BOUND_MS);
      expect((await row()).lastError).toBeNull();
    } finally {
      await supervisor.stop();
    }

    const frames = await db.frame.findMany({ where: { streamId: stream.id }, orderBy: { sequence: 'asc' } });
    const sequences = frames.map((frame) => frame.sequence);
    expect(new Set(sequences).size).toBe(sequences.length);
    const windows = await db.window.findMany({ where: { streamId: stream.id }, orderBy: { index: 'asc' } });
    expect(windows.map((window) => window.index)).toEqual(windows.map((_, i) => i));
    const queue = jobs.queue(QUEUES.analysis);
    const queued = await Promise.all(windows.map((window) => queue.getJob(window.id)));
    expect(queued.every((job) => job !== undefined)).toBe(true);
  }, 120_000);
});
