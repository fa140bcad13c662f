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
import { usageMonth } from '../src/analysis/usage-meter';
import { errorCodes, startTestApi, TestApi } from './support/api-harness';
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

  const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);

  /** A frame of the stream captured at `capturedAt`, its file (one byte: `sequence`) in `store`. */
  async function storedFrame(
    store: LocalFrameStore,
    tenantId: string,
    streamId: string,
    sequence: number,
    capturedAt: Date,
  ) {
    const storageKey = frameKey(tenantId, streamId, capturedAt, sequence);
    await store.put(storageKey, Buffer.from([sequence]));
    return tenantDb(prisma, tenantId).frame.create({
      data: {
        tenantId,
        streamId,
        sequence,
        capturedAt,
        storageKey,
        sha256: '0'.repeat(64),
        width: 32,
        height: 32,
        bytes: 1,
      },
    });
  }

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
    const frames = [];
    for (const [sequence, age] of [
      [10, 9],
      [11, 8],
      [12, 1],
    ] as const) {
      frames.push(await storedFrame(store, fixture.tenantId, fixture.ids.streamId, sequence, daysAgo(age)));
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

  it("purges an archived stream's evidence past retention, each purge audited in its own transaction, then the stream; live streams keep theirs", async () => {
    const fixture = await createTenantFixture(api, 'archive-retention');
    await api.services.tenants.updateQuotas({ kind: 'operator', id: null }, fixture.tenantId, {
      frameRetentionDays: 7,
    });
    const root = await mkdtemp(path.join(tmpdir(), 'vigil-archive-retention-'));
    const store = new LocalFrameStore(root);
    const db = tenantDb(prisma, fixture.tenantId);
    const tenantId = fixture.tenantId;
    const admin = {
      kind: 'user' as const,
      id: fixture.userIds.ADMIN,
      tenantId,
      role: 'ADMIN' as const,
      isPlatformAdmin: false,
    };
    const stream = await api.services.streams.create(db, admin, {
      name: 'Old gate',
      sourceUrl: 'rtsp://camera.example.net/gate',
      start: false,
    });
    const versionId = fixture.ids.versionId;
    /** A window of the stream with one analysis, `age` days old. */
    const analysed = async (index: number, age: number) => {
      const at = daysAgo(age);
      const frame = await storedFrame(store, tenantId, stream.id, index, at);
      const window = await db.window.create({
        data: {
          tenantId,
          streamId: stream.id,
          index,
          frameIds: [frame.id],
          startAt: at,
          endAt: at,
          status: 'DONE',
        },
      });
      const analysis = await db.analysis.create({
        data: {
          tenantId,
          streamId: stream.id,
          windowId: window.id,
          templateVersionId: versionId,
          mode: 'LOCAL',
          status: 'DONE',
          createdAt: at,
          completedAt: at,
        },
      });
      return { frame, window, analysis, at };
    };
    /** A closed incident of the stream's rule firing on `evidence`, with a review item in `status`. */
    const incidentOn = async (
      evidence: Awaited<ReturnType<typeof analysed>>,
      status: 'RESOLVED' | 'OPEN',
    ) => {
      const incident = await db.incident.create({
        data: {
          tenantId,
          streamId: stream.id,
          ruleId: fixture.ids.ruleId,
          status: 'CLOSED',
          startAt: evidence.at,
          endAt: evidence.at,
          lastFiredAt: evidence.at,
          closedAt: evidence.at,
          closeReason: 'quiet',
          keyframeIds: [evidence.frame.id],
        },
      });
      await db.incidentFiring.create({
        data: {
          tenantId,
          incidentId: incident.id,
          ruleId: fixture.ids.ruleId,
          analysisId: evidence.analysis.id,
          windowId: evidence.window.id,
          startAt: evidence.at,
          endAt: evidence.at,
        },
      });
      const item = await db.reviewItem.create({
        data: {
          tenantId,
          incidentId: incident.id,
          streamId: stream.id,
          queue: 'gate',
          priority: 50,
          status,
          ...(status === 'RESOLVED'
            ? { decision: 'DISMISS' as const, reason: 'Nothing there', decidedAt: evidence.at }
            : {}),
        },
      });
      await db.reviewNote.create({
        data: { tenantId, reviewItemId: item.id, authorType: 'user', authorId: admin.id, text: 'seen' },
      });
      return { incident, item };
    };
    const decidedOld = await analysed(1, 10);
    await analysed(2, 10); // cited by no incident
    const undecidedOld = await analysed(3, 10);
    const recent = await analysed(4, 1);
    const decided = await incidentOn(decidedOld, 'RESOLVED');
    const undecided = await incidentOn(undecidedOld, 'OPEN');
    await db.usageCounter.create({
      data: {
        tenantId,
        streamId: stream.id,
        month: usageMonth(),
        promptTokens: 700n,
        completionTokens: 300n,
      },
    });
    // The fixture's stream is live (not archived): its old decided incident stays whatever its age.
    await db.incident.update({
      where: { id: fixture.ids.incidentId },
      data: { status: 'CLOSED', startAt: daysAgo(20), endAt: daysAgo(20) },
    });
    await db.reviewItem.update({ where: { id: fixture.ids.reviewItemId }, data: { status: 'RESOLVED' } });
    const usageBefore = await api.services.usage.usage(db, await api.services.tenants.get(tenantId), null);

    await api.services.streams.archive(db, admin, stream.id);
    try {
      const first = await purgeOldFrames(prisma, store);
      expect(first.incidentsPurged).toBeGreaterThanOrEqual(1);
      // The decided incident went with its item, notes, firings; the undecided one stays with its analysis.
      expect(await db.incident.findUnique({ where: { id: decided.incident.id } })).toBeNull();
      expect(await db.reviewItem.findUnique({ where: { id: decided.item.id } })).toBeNull();
      expect(await db.incidentFiring.count({ where: { incidentId: decided.incident.id } })).toBe(0);
      expect(await db.reviewNote.count({ where: { reviewItemId: decided.item.id } })).toBe(0);
      expect(await db.incident.findUnique({ where: { id: undecided.incident.id } })).not.toBeNull();
      const left = await db.analysis.findMany({ where: { streamId: stream.id }, orderBy: { id: 'asc' } });
      expect(left.map((analysis) => analysis.id)).toEqual([undecidedOld.analysis.id, recent.analysis.id]);
      expect(
        (await db.window.findMany({ where: { streamId: stream.id }, orderBy: { index: 'asc' } })).map(
          (window) => window.index,
        ),
      ).toEqual([3, 4]);
      // The live stream's evidence is untouched.
      expect(await db.incident.findUnique({ where: { id: fixture.ids.incidentId } })).not.toBeNull();
      expect(await db.analysis.findUnique({ where: { id: fixture.ids.analysisId } })).not.toBeNull();

      // Each purge is audited by retention, the item's and its incident's in one transaction.
      const purgeEvents = await db.auditEvent.findMany({
        where: { action: { in: ['reviewItem.purged', 'incident.purged', 'stream.analyses_purged'] } },
        orderBy: { chainIndex: 'asc' },
      });
      expect(purgeEvents.map((e) => [e.action, e.entityId, e.actorType, e.actorId])).toEqual([
        ['reviewItem.purged', decided.item.id, 'worker', 'purge-old-frames'],
        ['incident.purged', decided.incident.id, 'worker', 'purge-old-frames'],
        ['stream.analyses_purged', stream.id, 'worker', 'purge-old-frames'],
      ]);
      expect(purgeEvents[1]!.chainIndex).toBe(purgeEvents[0]!.chainIndex! + 1);
      expect(purgeEvents[0]!.data).toMatchObject({ decision: 'DISMISS', notes: 1 });
      expect(purgeEvents[2]!.data).toMatchObject({ analyses: 2, windows: 2 });
      expect(await api.services.auditChain.verify(db)).toMatchObject({ ok: true });

      // Its report is gone with it; the undecided incident's report is still there.
      const report = (id: string) =>
        api.gql(
          'query ($id: ID!) { incidentReport(incidentId: $id) { incident { id } } }',
          { id },
          fixture.sessions.AUDITOR,
        );
      expect(errorCodes(await report(decided.incident.id))).toEqual(['NOT_FOUND']);
      expect((await report(undecided.incident.id)).errors).toBeUndefined();
      expect(await db.stream.findUnique({ where: { id: stream.id } })).not.toBeNull();

      // Once the last item is decided and the rest has aged, nothing of the stream is left but its
      // audit trail and its usage, which still counts in the month.
      await db.reviewItem.update({
        where: { id: undecided.item.id },
        data: { status: 'RESOLVED', decision: 'CONFIRM_VIOLATION', decidedAt: new Date() },
      });
      await db.analysis.update({ where: { id: recent.analysis.id }, data: { createdAt: daysAgo(10) } });
      await db.window.update({ where: { id: recent.window.id }, data: { endAt: daysAgo(10) } });
      await db.frame.update({ where: { id: recent.frame.id }, data: { capturedAt: daysAgo(10) } });
      await prisma.$executeRaw`UPDATE "Stream" SET "archivedAt" = ${daysAgo(8)} WHERE id = ${stream.id}::uuid`;
      await purgeOldFrames(prisma, store);
      expect(await db.stream.findUnique({ where: { id: stream.id } })).toBeNull();
      expect(await db.frame.count({ where: { streamId: stream.id } })).toBe(0);
      const gone = await db.auditEvent.findFirstOrThrow({
        where: { action: 'stream.purged', entityId: stream.id },
      });
      expect([gone.actorType, gone.actorId, gone.data]).toEqual([
        'worker',
        'purge-old-frames',
        { name: 'Old gate', usageMonthsKept: 1 },
      ]);
      const usageAfter = await api.services.usage.usage(db, await api.services.tenants.get(tenantId), null);
      expect(usageAfter.tokensUsed).toBe(usageBefore.tokensUsed);
      expect(usageAfter.streams.find((row) => row.streamId === stream.id)).toMatchObject({
        streamName: 'Old gate',
        streamDeleted: true,
        promptTokens: 700,
      });
      expect(await db.incident.findUnique({ where: { id: fixture.ids.incidentId } })).not.toBeNull();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 60_000);
});
