import type { PrismaClient } from '../db/prisma-client';
import { restoreLostReanalyses } from '../analysis/reanalysis-reconciler';
import { restoreLostClipBuilds } from '../evidence/clip-reconciler';
import { reconcileWindows, type ReconcileReport } from '../ingest/window-reconciler';
import type { JobHandler, JobQueue } from '../jobs/job-queue';
import { restoreLostRuleRuns } from '../rules/rules-reconciler';
import { restoreLostWebhookDeliveries } from '../webhooks/webhook-sender';
import { restoreLostAuditVerifications } from '../audit/audit-verifications';

/** What one reconciliation queued again, per kind of work. */
export interface LostJobsReport {
  windows: ReconcileReport;
  reanalyses: number;
  ruleRuns: number;
  webhookDeliveries: number;
  clipBuilds: number;
  auditVerifications: number;
}

/**
 * Puts back on their queues the jobs Redis lost, from the truth each owner keeps in PostgreSQL:
 * windows waiting for analysis, DEGRADED windows waiting for a GPU re-analysis, finished analyses
 * whose rules have not run, PENDING webhook deliveries, closed incidents without a current clip and audit chain
 * verifications still queued or running.
 * Run by every worker at start and every minute by the maintenance queue; safe on several workers
 * at once (job ids are deterministic).
 */
export async function reconcileLostJobs(
  prisma: PrismaClient,
  jobs: JobQueue,
  now = new Date(),
): Promise<LostJobsReport> {
  return {
    windows: await reconcileWindows(prisma, jobs),
    reanalyses: await restoreLostReanalyses(prisma, jobs, now),
    ruleRuns: await restoreLostRuleRuns(prisma, jobs, now),
    webhookDeliveries: await restoreLostWebhookDeliveries(prisma, jobs),
    clipBuilds: await restoreLostClipBuilds(prisma, jobs, now),
    auditVerifications: await restoreLostAuditVerifications(prisma, jobs, now),
  };
}

export function reconcileLostJobsHandler(
  prisma: PrismaClient,
  jobs: JobQueue,
): JobHandler<'reconcileLostJobs'> {
  return { run: () => reconcileLostJobs(prisma, jobs) };
}
