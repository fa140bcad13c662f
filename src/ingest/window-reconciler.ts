import type { PrismaClient } from '../db/prisma-client';
import { tenantDb } from '../db/tenant-scoped-db';
import type { JobQueue } from '../jobs/job-queue';
import { priorityForBacklog } from './analysis-queue';

/**
 * Finds windows that PostgreSQL says are waiting for analysis (QUEUED or RUNNING) but that have no
 * live job in Redis, for example after Redis lost its data, and enqueues them again under the same
 * job id: PostgreSQL is the truth, Redis the transport. Safe to run at any time and on several
 * workers at once.
 */
const PAGE = 500;

export interface ReconcileReport {
  checked: number;
  requeued: number;
}

export async function reconcileWindows(prisma: PrismaClient, jobs: JobQueue): Promise<ReconcileReport> {
  const report: ReconcileReport = { checked: 0, requeued: 0 };
  const tenants = await prisma.tenant.findMany({ select: { id: true } });
  for (const { id: tenantId } of tenants) {
    const db = tenantDb(prisma, tenantId);
    let after: string | undefined;
    for (;;) {
      const windows = await db.window.findMany({
        where: { status: { in: ['QUEUED', 'RUNNING'] }, ...(after ? { id: { gt: after } } : {}) },
        orderBy: { id: 'asc' },
        take: PAGE,
        select: { id: true },
      });
      if (windows.length === 0) break;
      const backlog = await db.window.count({ where: { status: 'QUEUED' } });
      for (const { id } of windows) {
        report.checked += 1;
        const queued = await jobs.ensure(
          'analyseWindow',
          { tenantId, windowId: id },
          { priority: priorityForBacklog(backlog) },
        );
        if (queued) report.requeued += 1;
      }
      after = windows.at(-1)!.id;
    }
  }
  return report;
}
