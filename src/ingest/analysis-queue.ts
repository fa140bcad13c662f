import type { JobQueue } from '../jobs/job-queue';
import type { AnalyseWindowPayload } from '../jobs/job-registry';

/**
 * Puts a window on the analysis queue, fairly across tenants.
 *
 * Fair sharing: BullMQ's open-source queue has no per-group round robin, so each job gets a
 * priority from its tenant's current backlog (QUEUED windows): a tenant with few windows waiting
 * goes ahead of one with thousands, and one tenant flooding the queue only lowers its own
 * priority. Within a tenant, order stays first in, first out. Chosen over one queue per tenant
 * because workers would then have to poll an unbounded, changing set of queues.
 */
export const MAX_PRIORITY = 2_097_152; // BullMQ's largest priority value (2^21)

export function priorityForBacklog(queuedWindowsOfTenant: number): number {
  return Math.min(MAX_PRIORITY, 1 + Math.max(0, Math.floor(queuedWindowsOfTenant)));
}

export async function enqueueWindow(
  jobs: JobQueue,
  payload: AnalyseWindowPayload,
  tenantBacklog: number,
): Promise<void> {
  await jobs.add('analyseWindow', payload, { priority: priorityForBacklog(tenantBacklog) });
}
