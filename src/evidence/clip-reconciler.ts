import type { PrismaClient } from '../db/prisma-client';
import type { JobQueue } from '../jobs/job-queue';
import { LOST_JOB_LOOKBACK_MS, restoreForTenants } from '../jobs/job-reconciliation';

/**
 * Queues again the clip builds of incidents that closed in the last LOST_JOB_LOOKBACK_MS with
 * evidence but without a current clip, whose build job Redis no longer has. (A clip is also built
 * on first request, so this only spares the first viewer the wait.) Answers how many were queued.
 */
export async function restoreLostClipBuilds(
  prisma: PrismaClient,
  jobs: JobQueue,
  now = new Date(),
): Promise<number> {
  const tenants = await prisma.tenant.findMany({ select: { id: true } });
  const since = new Date(now.getTime() - LOST_JOB_LOOKBACK_MS);
  return restoreForTenants(
    prisma,
    tenants.map((tenant) => tenant.id),
    (db, { after, ...page }) =>
      db.incident.findMany({
        where: {
          status: 'CLOSED',
          lastFiredAt: { gte: since },
          keyframeIds: { isEmpty: false },
          OR: [{ clipBuiltAt: null }, { clipFirings: { lt: prisma.incident.fields.firings } }],
          ...after,
        },
        ...page,
        select: { id: true, firings: true },
      }),
    (tenantId, { id: incidentId, firings }) =>
      jobs.restore('buildIncidentClip', { tenantId, incidentId, firings }),
  );
}
