import type { PrismaClient } from '../db/prisma-client';
import type { JobQueue } from '../jobs/job-queue';
import { restoreForTenants } from '../jobs/job-reconciliation';

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
  return restoreForTenants(
    prisma,
    tenants.map((tenant) => tenant.tenantId),
    (db, { after, ...page }) =>
      db.window.findMany({ where: { ...wanted, ...after }, ...page, select: { id: true } }),
    (tenantId, { id: windowId }) => jobs.restore('reanalyseWindow', { tenantId, windowId }),
  );
}
