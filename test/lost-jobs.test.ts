import pino from 'pino';
import { loadConfig } from '../src/config/config';
import { tenantDb } from '../src/db/tenant-scoped-db';
import { BullJobQueue } from '../src/jobs/bullmq-job-queue';
import { JOBS, QUEUES, reanalysisJobId, webhookJobId, incidentClipJobId } from '../src/jobs/job-registry';
import { createRedis } from '../src/redis/redis-client';
import { RulesRunner } from '../src/rules/rules-runner';
import { evaluateRulesHandler } from '../src/workers/evaluate-rules.processor';
import { startJobWorkers } from '../src/workers/job-workers';
import { reconcileLostJobs } from '../src/workers/reconcile-lost-jobs.processor';
import { keepSchedules } from '../src/workers/schedule-keeper';
import { webhookEventSink } from '../src/webhooks/webhook-events';
import { startTestApi, TestApi } from './support/api-harness';
import { createTenantFixture, TenantFixture } from './support/tenant-fixture';
import { settleLeftoverWork } from './support/leftover-work';
import { testJobQueue } from './support/test-jobs';
import { waitFor } from './support/wait-for';

/**
 * Redis is the transport, PostgreSQL the truth: when Redis loses its data, every job that matters
 * is queued again from the rows (windows, re-analyses, rules, webhook deliveries, clips), and the
 * periodic jobs' schedules come back without a worker restart.
 */
const silent = pino({ level: 'silent' });
const PERIODIC = Object.values(JOBS)
  .filter((definition) => definition.every)
  .map((definition) => definition.name)
  .sort();

/** Drops every key of the queues under `jobs`' prefix: what a FLUSHDB does to them. */
async function loseQueues(jobs: BullJobQueue, connection: ReturnType<typeof createRedis>): Promise<void> {
  const keys = await connection.keys(`${jobs.prefix}:*`);
  if (keys.length > 0) await connection.del(...keys);
}

describe('lost jobs', () => {
  let api: TestApi;
  let tenant: TenantFixture;
  const connection = createRedis(loadConfig().REDIS_URL, { forWorkers: true });
  let jobs: BullJobQueue;

  beforeAll(async () => {
    // Reconciliation covers every tenant: what earlier test files left unfinished would be queued
    // ahead of this file's own work.
    await settleLeftoverWork();
    api = await startTestApi();
    tenant = await createTenantFixture(api, 'lost');
  }, 60_000);
  beforeEach(() => {
    jobs = testJobQueue(connection);
  });
  /** A window of the fixture's stream, framed and timed now, in `status`. */
  const createWindow = (
    index: number,
    status: 'DONE' | 'DEGRADED',
    extra: { reanalysisWantedSince?: Date } = {},
  ) =>
    tenantDb(api.prisma, tenant.tenantId).window.create({
      data: {
        tenantId: tenant.tenantId,
        streamId: tenant.ids.streamId,
        index,
        frameIds: [],
        startAt: new Date(),
        endAt: new Date(),
        status,
        ...extra,
      },
    });
  /** The periodic jobs' schedules on every queue (maintenance, audit). */
  const allSchedulers = async () =>
    (await Promise.all(Object.values(QUEUES).map((name) => jobs.queue(name).getJobSchedulers()))).flat();
  afterEach(async () => {
    for (const queue of Object.values(QUEUES)) await jobs.queue(queue).obliterate({ force: true });
    await jobs.close();
  });
  afterAll(async () => {
    await api.stop();
    await connection.quit();
  });

  it('declares missing schedules, leaves right ones alone and removes ones the table no longer has', async () => {
    const maintenance = jobs.queue(QUEUES.maintenance);
    await maintenance.upsertJobScheduler(
      'reconcile-windows',
      { every: 60_000 },
      { name: 'reconcile-windows' },
    );
    expect([...(await jobs.assertSchedules())].map((kind) => JOBS[kind].name).sort()).toEqual(PERIODIC);
    const schedulers = async () => (await allSchedulers()).map((s) => s.key).sort();
    expect(await schedulers()).toEqual(PERIODIC);
    const nextRuns = async () => (await allSchedulers()).map((s) => `${s.key}@${s.next}`).sort();
    const before = await nextRuns();

    // Asserting again changes nothing: no schedule's next run is pushed back.
    expect(await jobs.assertSchedules()).toEqual([]);
    expect(await nextRuns()).toEqual(before);

    await loseQueues(jobs, connection);
    expect(await schedulers()).toEqual([]);
    expect([...(await jobs.assertSchedules())].map((kind) => JOBS[kind].name).sort()).toEqual(PERIODIC);
    expect(await schedulers()).toEqual(PERIODIC);
  });

  it('brings the schedules back on its timer after Redis lost them, and reconciles at once', async () => {
    await jobs.assertSchedules();
    const keeper = keepSchedules(jobs, silent, 100);
    try {
      await loseQueues(jobs, connection);
      const maintenance = jobs.queue(QUEUES.maintenance);
      await waitFor(async () => (await allSchedulers()).length === PERIODIC.length, 5_000);
      await waitFor(async () => (await maintenance.getJob('reconcile-lost-jobs')) !== undefined, 5_000);
    } finally {
      keeper.stop();
    }
  });

  it('queues again the rules of finished analyses whose rules never ran, and the rules then open their incident', async () => {
    const db = tenantDb(api.prisma, tenant.tenantId);
    // Eight finished analyses that see a person on the lawn; Redis lost their rules jobs.
    const analyses: string[] = [];
    for (let n = 0; n < 8; n++) {
      const window = await createWindow(100 + n, 'DONE');
      const analysis = await db.analysis.create({
        data: {
          tenantId: tenant.tenantId,
          streamId: tenant.ids.streamId,
          windowId: window.id,
          templateVersionId: tenant.ids.versionId,
          mode: 'VLM',
          status: 'DONE',
          result: {
            timestamp: new Date().toISOString(),
            objects: [{ label: 'person', count: 1, confidence: 0.9 }],
            actions: [],
            anomalies: [],
          },
          completedAt: new Date(),
        },
      });
      analyses.push(analysis.id);
    }
    // One more whose rules already ran: left alone.
    const evaluated = await db.analysis.update({
      where: { id: analyses.pop()! },
      data: { rulesEvaluatedAt: new Date() },
    });

    const report = await reconcileLostJobs(api.prisma, jobs);
    expect(report.ruleRuns).toBeGreaterThanOrEqual(7);
    const rulesQueue = jobs.queue(QUEUES.rules);
    for (const id of analyses) expect(await rulesQueue.getJob(id)).toBeDefined();
    expect(await rulesQueue.getJob(evaluated.id)).toBeUndefined();
    // Nothing doubles: a second run finds every job in place.
    const waiting = await rulesQueue.getWaitingCount();
    expect((await reconcileLostJobs(api.prisma, jobs)).ruleRuns).toBe(0);
    expect(await rulesQueue.getWaitingCount()).toBe(waiting);

    const runner = new RulesRunner({
      prisma: api.prisma,
      redis: connection,
      logger: silent,
      webhooks: webhookEventSink(api.prisma, jobs),
    });
    const workers = startJobWorkers(
      connection,
      { evaluateRules: evaluateRulesHandler(runner, api.prisma, silent) },
      { queues: [QUEUES.rules], prefix: jobs.prefix, logger: silent },
    );
    try {
      await waitFor(
        async () =>
          (await db.analysis.count({ where: { id: { in: analyses }, rulesEvaluatedAt: null } })) === 0,
        20_000,
      );
    } finally {
      await workers.close();
    }
    const fired = await db.incidentFiring.findMany({ where: { analysisId: { in: analyses } } });
    expect(new Set(fired.map((firing) => firing.analysisId))).toEqual(new Set(analyses));
  }, 60_000);

  it('queues again re-analyses still wanted, PENDING webhook deliveries and the clips of closed incidents', async () => {
    const db = tenantDb(api.prisma, tenant.tenantId);
    const wanted = await createWindow(200, 'DEGRADED', { reanalysisWantedSince: new Date() });
    const notWanted = await createWindow(201, 'DEGRADED');
    const pending = await db.webhookDelivery.create({
      data: {
        tenantId: tenant.tenantId,
        endpointId: tenant.ids.webhookEndpointId,
        event: 'stream.stopped',
        eventKey: `stream.stopped:lost-${Date.now()}`,
        payload: {},
      },
    });
    const closed = await db.incident.update({
      where: { id: tenant.ids.incidentId },
      data: { status: 'CLOSED', closedAt: new Date(), closeReason: 'quiet', firings: 3 },
    });

    const report = await reconcileLostJobs(api.prisma, jobs);
    expect(report.reanalyses).toBeGreaterThanOrEqual(1);
    expect(report.webhookDeliveries).toBeGreaterThanOrEqual(1);
    expect(report.clipBuilds).toBeGreaterThanOrEqual(1);
    const analysisQueue = jobs.queue(QUEUES.analysis);
    expect(await analysisQueue.getJob(reanalysisJobId(wanted.id))).toBeDefined();
    expect(await analysisQueue.getJob(reanalysisJobId(notWanted.id))).toBeUndefined();
    expect(await jobs.queue(QUEUES.webhooks).getJob(webhookJobId(pending.id))).toBeDefined();
    // The fixture's DEAD delivery is not retried by a reconciler.
    expect(
      await jobs.queue(QUEUES.webhooks).getJob(webhookJobId(tenant.ids.webhookDeliveryId)),
    ).toBeUndefined();
    expect(await jobs.queue(QUEUES.evidence).getJob(incidentClipJobId(closed.id, 3))).toBeDefined();

    // A clip built for the incident's firings is current: nothing to queue once its job is gone.
    await loseQueues(jobs, connection);
    await db.incident.update({
      where: { id: closed.id },
      data: { clipBuiltAt: new Date(), clipFirings: 3, clipStorageKey: 'k', clipSha256: '0'.repeat(64) },
    });
    await reconcileLostJobs(api.prisma, jobs);
    expect(await jobs.queue(QUEUES.evidence).getJob(incidentClipJobId(closed.id, 3))).toBeUndefined();
  });

  it('leaves alone a job that already ran, even when its row still looks unfinished', async () => {
    const window = await createWindow(300, 'DEGRADED', { reanalysisWantedSince: new Date() });
    const payload = { tenantId: tenant.tenantId, windowId: window.id };
    const queue = jobs.queue(QUEUES.analysis);
    await jobs.add('reanalyseWindow', payload, { delayMs: 0 });
    // The re-analysis ran and ended, but its end was not recorded on the row.
    const workers = startJobWorkers(
      connection,
      {
        analyseWindow: { run: async () => ({ status: 'DONE' }) },
        reanalyseWindow: { run: async () => ({ status: 'DONE' }) },
      },
      { queues: [QUEUES.analysis], prefix: jobs.prefix, logger: silent },
    );
    try {
      await waitFor(
        async () => (await queue.getJob(reanalysisJobId(window.id)))?.finishedOn !== undefined,
        10_000,
      );
    } finally {
      await workers.close();
    }
    expect(await jobs.restore('reanalyseWindow', payload)).toBe(false);
    expect(await queue.getJob(reanalysisJobId(window.id))).toMatchObject({ finishedOn: expect.any(Number) });
    // Once Redis has lost it too, it is queued again.
    await loseQueues(jobs, connection);
    expect(await jobs.restore('reanalyseWindow', payload)).toBe(true);
    const restored = (await queue.getJob(reanalysisJobId(window.id)))!;
    expect(restored.finishedOn).toBeUndefined();
    expect(await restored.getState()).toBe('delayed');
  });
});
