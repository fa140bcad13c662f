import type { Logger } from 'pino';
import type { PrismaClient } from '../db/prisma-client';
import { tenantDb } from '../db/tenant-scoped-db';
import type { WindowAnalysis } from '../analysis/window-analysis';
import type { JobHandler } from '../jobs/job-queue';

/**
 * One window per job. A job that throws is retried by BullMQ; when its attempts run out the window
 * is marked FAILED with the error, so no window stays RUNNING.
 */
export function analyseWindowHandler(
  prisma: PrismaClient,
  analysis: WindowAnalysis,
  logger: Logger,
): JobHandler<'analyseWindow'> {
  return {
    run: (payload) => analysis.analyse(payload.tenantId, payload.windowId),
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
