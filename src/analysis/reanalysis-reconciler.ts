import type { PrismaClient } from '../db/prisma-client';
import { tenantDb } from '../db/tenant-scoped-db';
import type { JobQueue } from '../jobs/job-queue';
import { restoreEach } from '../jobs/job-reconciliation';

/**
 * A re-analysis waits for a GPU node for as long as one is down; after a week without its job the
 * wish is left alone (the window keeps its local result).
 */
export const REANALYSIS_LOOKBACK_MS = 7 * 24 * 3_600_000;

/**
 * Queues again the GPU re-analysis of DEGRADED windows that still want one
 * (`Window.reanalysisWantedSince`) and whose job Redis no longer has. Answers how many were queued.
 */
export async function restoreLostReanalyses(
  prisma: PrismaClient,
  jobs: JobQueue,
  now = new Date(),
): Promise<number> {
  const wanted = { reanalysisWantedSince: { gte: new Date(now.getTime() - REANALYSIS_LOOKBACK_MS) } };
  const tenants = await prisma.window.groupBy({ by: ['tenantId'], where: wanted });
  let restored = 0;
  for (const { tenantId } of tenants) {
    const db = tenantDb(prisma, tenantId);
    restored += await restoreEach(
      (after, take) =>
        db.window.findMany({
          where: { ...wanted, ...(after ? { id: { gt: after } } : {}) },
          orderBy: { id: 'asc' },
          take,
          select: { id: true },
        }),
      ({ id: windowId }) => jobs.restore('reanalyseWindow', { tenantId, windowId }),
    );
  }
  return restored;
}
