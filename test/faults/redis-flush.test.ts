import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { tenantDb } from '../../src/db/tenant-scoped-db';
import { JOBS, QUEUES } from '../../src/jobs/job-registry';
import { SCHEDULE_CHECK_EVERY_MS } from '../../src/workers/schedule-keeper';
import { type E2eStack, personOnLawnResult, sampleFrames, startE2eStack } from '../support/e2e-stack';
import { settleLeftoverWork } from '../support/leftover-work';
import { waitFor } from '../support/wait-for';

/**
 * Redis loses everything (FLUSHDB) while a real worker analyses a stream's windows on a fake GPU
 * node: PostgreSQL is the truth, so every accepted window is analysed exactly once, every analysis
 * gets its rules run and its incident, and the periodic jobs' schedules come back, all within one
 * schedule check plus the work itself.
 */
const WINDOWS = 12;
const RECOVERY_MS = SCHEDULE_CHECK_EVERY_MS + 15_000;
/** The periodic jobs of the maintenance queue (other queues may have their own). */
const PERIODIC = Object.values(JOBS)
  .filter((definition) => definition.every && definition.queue === QUEUES.maintenance)
  .map((definition) => definition.name)
  .sort();

describe(`fault: Redis flushed mid-run (recovers within ${RECOVERY_MS / 1000} s)`, () => {
  let stack: E2eStack;
  let redis: Redis;

  beforeAll(async () => {
    await settleLeftoverWork();
    stack = await startE2eStack({ worker: true, prefix: 'fault-flush', console: false });
    redis = new Redis(process.env.REDIS_URL!);
    // Windows other test files left QUEUED are analysed first, so the fake's counts are this test's.
    await stack.analysisQueueIdle();
  }, 90_000);

  afterAll(async () => {
    await redis?.quit();
    await stack?.stop();
  });

  it(`analyses every window once, runs every analysis's rules and brings the schedules back within ${RECOVERY_MS / 1000} s`, async () => {
    const fake = stack.fake!;
    await fake.control.reset();
    // Slow enough that windows are still queued and in flight when Redis loses its data, and that
    // the ones in flight outlast the reconciliation that queues them again (at most one schedule
    // check later): 10 windows of 3.5 s on 2 slots take 17.5 s. Their second jobs must wait.
    await fake.control.configure({ latencyMs: 3_500, slots: 2 });
    await fake.control.queueResults(...Array.from({ length: WINDOWS }, () => personOnLawnResult()));
    const streamId = await stack.createStream('flushed lawn');
    const frames = await sampleFrames(4);
    const windowIds = await stack.queueWindows(streamId, frames, WINDOWS);
    const db = tenantDb(stack.api.prisma, stack.tenant.tenantId);
    const done = () => db.window.count({ where: { id: { in: windowIds }, status: 'DONE' } });

    await waitFor(async () => (await done()) >= 2, 30_000);
    expect(await done()).toBeLessThan(WINDOWS - 2);
    await redis.flushdb();
    const flushedAt = Date.now();

    const maintenance = new Queue(QUEUES.maintenance, { connection: redis });
    try {
      await waitFor(
        async () =>
          (await maintenance.getJobSchedulers())
            .map((s) => s.key)
            .sort()
            .join() === PERIODIC.join(),
        RECOVERY_MS,
        200,
      );
      await waitFor(
        async () => {
          if ((await done()) < WINDOWS) return false;
          const unevaluated = await db.analysis.count({
            where: { windowId: { in: windowIds }, rulesEvaluatedAt: null },
          });
          return unevaluated === 0;
        },
        RECOVERY_MS,
        200,
      );
      const recoveredMs = Date.now() - flushedAt;
      expect(recoveredMs).toBeLessThan(RECOVERY_MS);

      // Exactly one analysis per window, from exactly one request to the node per window.
      const analyses = await db.analysis.findMany({ where: { windowId: { in: windowIds } } });
      expect(analyses.map((a) => a.windowId).sort()).toEqual([...windowIds].sort());
      expect(analyses.every((a) => a.status === 'DONE' && a.mode === 'VLM')).toBe(true);
      expect((await fake.control.stats()).received).toBe(WINDOWS);
      // Every analysis fired the tenant's rule (a person on the lawn) into an incident.
      const firings = await db.incidentFiring.findMany({
        where: { analysisId: { in: analyses.map((a) => a.id) }, ruleId: stack.tenant.ids.ruleId },
      });
      expect(new Set(firings.map((f) => f.analysisId))).toEqual(new Set(analyses.map((a) => a.id)));
      expect(firings).toHaveLength(WINDOWS);
      // The maintenance jobs run again: the reconciliation the keeper queued has completed.
      await waitFor(
        async () => (await maintenance.getCompletedCount()) > 0,
        RECOVERY_MS - (Date.now() - flushedAt),
        200,
      );
    } finally {
      await maintenance.close();
    }
  }, 120_000);
});
