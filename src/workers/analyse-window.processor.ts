import type { Logger } from 'pino';
import type { PrismaClient } from '../db/prisma-client';
import { tenantDb } from '../db/tenant-scoped-db';
import type { WindowAnalysis } from '../analysis/window-analysis';
import { type JobHandler, RunAgainLater } from '../jobs/job-queue';

/**
 * One window per job. A job that throws is retried by BullMQ; when its attempts run out the window
 * is marked FAILED with the error, so no window stays RUNNING. A job whose window another job holds
 * (the same window queued again after Redis lost its data) comes back when that lease would end.
 */
export function analyseWindowHandler(
  prisma: PrismaClient,
  analysis: WindowAnalysis,
  logger: Logger,
): JobHandler<'analyseWindow'> {
  return {
    async run(payload) {
      const outcome = await analysis.analyse(payload.tenantId, payload.windowId);
      return outcome.status === 'HELD' ? new RunAgainLater(outcome.retryInMs) : outcome;
    },
    onFailed(payload, error, final) {
      logger.error({ windowId: payload.windowId, final, err: error }, 'analysis job failed');
      if (!final) return;
      void tenantDb(prisma, payload.tenantId)
        .window.updateMany({
          where: { id: payload.windowId, status: { in: ['QUEUED', 'RUNNING'] } },
          data: { status: 'FAILED', error: `analysis failed: ${error.message}`.slice(0, 1000) },
        })
        .catch((err: unknown) => logger.error({ err }, 'could not mark a failed window'));
    },
  };
}
