import type { PrismaClient } from '../db/prisma-client';
import type { JobQueue } from '../jobs/job-queue';
import { LOST_JOB_LOOKBACK_MS, restoreForTenants } from '../jobs/job-reconciliation';
import { RULE_INPUT_STATUSES } from './stream-history';

/**
 * Queues again the rules of finished analyses (of the last LOST_JOB_LOOKBACK_MS) whose rules have
 * not run and whose rules job Redis no longer has: `rulesEvaluatedAt` is the truth, and the job is
 * idempotent per analysis. Answers how many were queued.
 */
export async function restoreLostRuleRuns(
  prisma: PrismaClient,
  jobs: JobQueue,
  now = new Date(),
): Promise<number> {
  const since = new Date(now.getTime() - LOST_JOB_LOOKBACK_MS);
  const where = {
    rulesEvaluatedAt: null,
    updatedAt: { gte: since },
    status: { in: [...RULE_INPUT_STATUSES] },
  };
  const tenants = await prisma.tenant.findMany({ select: { id: true } });
  return restoreForTenants(
    prisma,
    tenants.map((tenant) => tenant.id),
    (db, { after, ...page }) =>
      db.analysis.findMany({ where: { ...where, ...after }, ...page, select: { id: true } }),
    (tenantId, { id: analysisId }) => jobs.restore('evaluateRules', { tenantId, analysisId }),
  );
}
