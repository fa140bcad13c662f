import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { QueueEvents } from 'bullmq';
import pino from 'pino';
import { tenantDb } from '../src/db/tenant-scoped-db';
import { frameKey, LocalFrameStore } from '../src/storage/frame-store';
import { purgeOldFrames } from '../src/workers/purge-old-frames.processor';
import { loadConfig } from '../src/config/config';
import { createPrismaClient, PrismaClient } from '../src/db/prisma-client';
import { createRedis } from '../src/redis/redis-client';
import { JOBS, QUEUES } from '../src/jobs/job-registry';
import { startJobWorkers } from '../src/workers/job-workers';
import { purgeExpiredSessionsHandler } from '../src/workers/purge-expired-sessions.processor';
import { purgeOldFramesHandler } from '../src/workers/purge-old-frames.processor';
import { reconcileLostJobsHandler } from '../src/workers/reconcile-lost-jobs.processor';
import { reviewDeadlinesHandler } from '../src/workers/review-deadlines.processor';
import { closeQuietIncidentsHandler } from '../src/workers/close-quiet-incidents.processor';
import { startTestApi, TestApi } from './support/api-harness';
import { createTenantFixture } from './support/tenant-fixture';
import { testJobQueue } from './support/test-jobs';

describe('maintenance worker (real BullMQ on Redis)', () => {
  let api: TestApi;
  let prisma: PrismaClient;
  const connection = createRedis(loadConfig().REDIS_URL, { forWorkers: true });

  beforeAll(async () => {
    api = await startTestApi();
    prisma = createPrismaClient(loadConfig().DATABASE_URL);
  });

  afterAll(async () => {
    await api.stop();
    await prisma.$disconnect();
    await connection.quit();
  });

  it('purges sessions that ended more than a day ago and keeps the others', async () => {
    const fixture = await createTenantFixture(api, 'purge');
    const userId = fixture.userIds.MODERATOR;
    const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000);
    const base = { tenantId: fixture.tenantId, userId };
    const expiredLongAgo = await prisma.session.create({
      data: { ...base, tokenHash: `old-${userId}`, expiresAt: hoursAgo(48) },
    });
    const revokedLongAgo = await prisma.session.create({
      data: { ...base, tokenHash: `rev-${userId}`, expiresAt: hoursAgo(-5), revokedAt: hoursAgo(30) },
    });
    const expiredRecently = await prisma.session.create({
      data: { ...base, tokenHash: `recent-${userId}`, expiresAt: hoursAgo(2) },
    });

    const jobs = testJobQueue(connection);
    const queue = jobs.queue(QUEUES.maintenance);
    const eventsConnection = connection.duplicate();
    const events = new QueueEvents(QUEUES.maintenance, { connection: eventsConnection, prefix: jobs.prefix });
    await events.waitUntilReady();
    const worker = startJobWorkers(
      connection,
      {
        purgeExpiredSessions: purgeExpiredSessionsHandler(prisma),
        reconcileLostJobs: reconcileLostJobsHandler(prisma, jobs),
        reviewDeadlines: reviewDeadlinesHandler(prisma, connection),
        closeQuietIncidents: closeQuietIncidentsHandler(prisma, null),
        purgeOldFrames: purgeOldFramesHandler(prisma, new LocalFrameStore(tmpdir())),
      },
      { queues: [QUEUES.maintenance], prefix: jobs.prefix, logger: pino({ level: 'silent' }) },
    );
    try {
      const job = await queue.add(JOBS.purgeExpiredSessions.name, { olderThanHours: 24 });
      const result = (await job.waitUntilFinished(events, 15_000)) as { deleted: number };
      expect(result.deleted).toBeGreaterThanOrEqual(2);
      const left = await prisma.session.findMany({
        where: { id: { in: [expiredLongAgo.id, revokedLongAgo.id, expiredRecently.id] } },
      });
      expect(left.map((session) => session.id)).toEqual([expiredRecently.id]);
      // the fixture's live sessions survive
      expect(await prisma.session.count({ where: { tenantId: fixture.tenantId, revokedAt: null } })).toBe(4);
    } finally {
      await worker.close();
      await events.close();
      await queue.obliterate({ force: true });
      await jobs.queue(QUEUES.analysis).obliterate({ force: true });
      await jobs.close();
      await eventsConnection.quit();
    }
  }, 30_000);

  it('declares its schedule idempotently, however many workers start', async () => {
    const jobs = testJobQueue(connection);
    const queue = jobs.queue(QUEUES.maintenance);
    try {
      await jobs.assertSchedules();
      await jobs.assertSchedules();
      const schedulers = await queue.getJobSchedulers();
      expect(schedulers.map((scheduler) => scheduler.key).sort()).toEqual(
        [
          'purge-expired-sessions',
          'reconcile-lost-jobs',
          'review-deadlines',
          'close-quiet-incidents',
          'purge-old-frames',
        ].sort(),
      );
    } finally {
      await queue.obliterate({ force: true });
      await jobs.close();
    }
  });

  it("deletes frames older than their tenant's retention, file and row, and keeps the rest", async () => {
    const fixture = await createTenantFixture(api, 'retention');
    await api.services.tenants.updateQuotas({ kind: 'operator', id: null }, fixture.tenantId, {
      frameRetentionDays: 7,
    });
    const root = await mkdtemp(path.join(tmpdir(), 'vigil-retention-'));
    const store = new LocalFrameStore(root);
    const db = tenantDb(prisma, fixture.tenantId);
    const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);
    const frames = [];
    for (const [sequence, age] of [
      [10, 9],
      [11, 8],
      [12, 1],
    ] as const) {
      const capturedAt = daysAgo(age);
      const storageKey = frameKey(fixture.tenantId, fixture.ids.streamId, capturedAt, sequence);
      await store.put(storageKey, Buffer.from([sequence]));
      frames.push(
        await db.frame.create({
          data: {
            tenantId: fixture.tenantId,
            streamId: fixture.ids.streamId,
            sequence,
            capturedAt,
            storageKey,
            sha256: '0'.repeat(64),
            width: 32,
            height: 32,
            bytes: 1,
          },
        }),
      );
    }
    // The 8-day-old frame is evidence of an open incident: retention spares it until it closes.
    const incident = await db.incident.create({
      data: {
        tenantId: fixture.tenantId,
        streamId: fixture.ids.streamId,
        ruleId: fixture.ids.ruleId,
        startAt: daysAgo(8),
        endAt: daysAgo(8),
        lastFiredAt: daysAgo(8),
        keyframeIds: [frames[1]!.id],
      },
    });
    try {
      const { deleted } = await purgeOldFrames(prisma, store);
      expect(deleted).toBeGreaterThanOrEqual(1);
      const left = await db.frame.findMany({ where: { id: { in: frames.map((f) => f.id) } } });
      expect(left.map((f) => f.sequence).sort()).toEqual([11, 12]);
      await expect(store.get(frames[0]!.storageKey)).rejects.toMatchObject({ code: 'ENOENT' });
      expect(await store.get(frames[1]!.storageKey)).toEqual(Buffer.from([11]));
      expect(await store.get(frames[2]!.storageKey)).toEqual(Buffer.from([12]));

      // Its clip goes with its frames once it has ended and has no decision pending.
      const clipKey = `${fixture.tenantId}/${fixture.ids.streamId}/clips/${incident.id}.mp4`;
      await store.put(clipKey, Buffer.from('mp4'));
      await db.incident.update({
        where: { id: incident.id },
        data: { clipStorageKey: clipKey, clipSha256: 'a'.repeat(64), clipBytes: 3, clipBuiltAt: daysAgo(8) },
      });
      expect((await purgeOldFrames(prisma, store)).clipsDeleted).toBe(0);
      expect(await store.get(clipKey)).toEqual(Buffer.from('mp4'));

      await db.incident.update({ where: { id: incident.id }, data: { status: 'CLOSED' } });
      expect((await purgeOldFrames(prisma, store)).clipsDeleted).toBe(1);
      const after = await db.frame.findMany({ where: { id: { in: frames.map((f) => f.id) } } });
      expect(after.map((f) => f.sequence)).toEqual([12]);
      await expect(store.get(clipKey)).rejects.toMatchObject({ code: 'ENOENT' });
      expect(await db.incident.findUniqueOrThrow({ where: { id: incident.id } })).toMatchObject({
        clipStorageKey: null,
        clipSha256: null,
      });
      const purged = await db.auditEvent.findFirstOrThrow({
        where: { action: 'incident.clip_purged', entityId: incident.id },
      });
      expect([purged.actorType, purged.actorId, purged.entityType]).toEqual([
        'worker',
        'purge-old-frames',
        'IncidentClip',
      ]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 30_000);
});
