import type { PrismaClient } from '../db/prisma-client';
import { reconcileWindows } from '../ingest/window-reconciler';
import type { JobHandler, JobQueue } from '../jobs/job-queue';

/** Puts back on the analysis queue the windows PostgreSQL says are waiting but Redis has lost. */
export function reconcileWindowsHandler(
  prisma: PrismaClient,
  jobs: JobQueue,
): JobHandler<'reconcileWindows'> {
  return { run: () => reconcileWindows(prisma, jobs) };
}
