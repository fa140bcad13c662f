import { DelayedError, Queue, Worker } from 'bullmq';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { PrismaClient } from '../db/prisma-client';
import { tenantDb } from '../db/tenant-scoped-db';
import type { WindowAnalysis } from '../inference/window-analysis';
import { ANALYSIS_JOBS, AnalyseWindowPayload, QUEUES, reanalysisJobId } from '../jobs/job-registry';

/** How long a re-analysis waits before it looks for a GPU node again. */
export const REANALYSIS_RETRY_MS = 30_000;

/** Queues a GPU analysis of a DEGRADED window, once per window (the job id is derived from it). */
export async function scheduleReanalysis(
  queue: Queue,
  tenantId: string,
  windowId: string,
  delayMs = REANALYSIS_RETRY_MS,
): Promise<void> {
  await queue.add(
    ANALYSIS_JOBS.reanalyseWindow,
    { tenantId, windowId } satisfies AnalyseWindowPayload,
    // Behind live windows: fresh analysis matters more than catching up on the past.
    { jobId: reanalysisJobId(windowId), delay: delayMs, priority: 1_000_000 },
  );
}

/**
 * The analysis queue's processor: one window per job, `concurrency` at once in this process (the
 * node pool limits what each GPU node gets). A job that throws is retried by BullMQ; when its
 * attempts run out the window is marked FAILED with the error, so no window stays RUNNING.
 */
export function createAnalysisWorker(
  connection: Redis,
  prisma: PrismaClient,
  analysis: WindowAnalysis,
  logger: Logger,
  concurrency: number,
  reanalysisDelayMs = REANALYSIS_RETRY_MS,
): Worker<AnalyseWindowPayload> {
  const worker = new Worker<AnalyseWindowPayload>(
    QUEUES.analysis,
    async (job, token) => {
      const { tenantId, windowId } = job.data;
      const reanalysis = job.name === ANALYSIS_JOBS.reanalyseWindow;
      const outcome = await analysis.analyse(tenantId, windowId, { reanalysis });
      if (outcome.status === 'WAIT') {
        await job.moveToDelayed(Date.now() + reanalysisDelayMs, token);
        throw new DelayedError();
      }
      return outcome;
    },
    // Thinking takes minutes at worst: the lock is renewed while a job runs, so only a dead
    // worker's jobs are taken over.
    { connection, concurrency, lockDuration: 60_000, maxStalledCount: 2 },
  );
  worker.on('failed', (job, error) => {
    if (!job || job.name !== ANALYSIS_JOBS.analyseWindow) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1);
    logger.error(
      { windowId: job.data.windowId, attempt: job.attemptsMade, final, err: error },
      'analysis job failed',
    );
    if (!final) return;
    void tenantDb(prisma, job.data.tenantId)
      .window.updateMany({
        where: { id: job.data.windowId, status: { in: ['QUEUED', 'RUNNING'] } },
        data: { status: 'FAILED', error: `analysis failed: ${error.message}`.slice(0, 1000) },
      })
      .catch((err: unknown) => logger.error({ err }, 'could not mark a failed window'));
  });
  return worker;
}
