import { Queue, Worker } from 'bullmq';
import type Redis from 'ioredis';
import type { PrismaClient } from '../db/prisma-client';
import { reconcileWindows } from '../ingest/window-reconciler';
import type { FrameStore } from '../storage/frame-store';
import { purgeExpiredSessions } from './purge-expired-sessions.processor';
import { purgeOldFrames } from './purge-old-frames.processor';
import { runReviewDeadlines } from './review-deadlines.processor';
import {
  DEFAULT_JOB_OPTIONS,
  MAINTENANCE_JOBS,
  PurgeExpiredSessionsPayload,
  QUEUES,
} from '../jobs/job-registry';

export const SESSION_PURGE_EVERY_MS = 3_600_000;
export const SESSION_RETENTION_HOURS = 24;
export const RECONCILE_EVERY_MS = 60_000;
export const FRAME_RETENTION_EVERY_MS = 3_600_000;
/** Claim leases and review deadlines are checked this often. */
export const REVIEW_DEADLINES_EVERY_MS = 5_000;

export function createMaintenanceQueue(connection: Redis): Queue {
  return new Queue(QUEUES.maintenance, { connection, defaultJobOptions: DEFAULT_JOB_OPTIONS });
}

/** Declares the periodic jobs. Idempotent by scheduler id, so every worker process may call it. */
export async function scheduleMaintenance(queue: Queue): Promise<void> {
  await queue.upsertJobScheduler(
    MAINTENANCE_JOBS.purgeExpiredSessions,
    { every: SESSION_PURGE_EVERY_MS },
    {
      name: MAINTENANCE_JOBS.purgeExpiredSessions,
      data: { olderThanHours: SESSION_RETENTION_HOURS } satisfies PurgeExpiredSessionsPayload,
    },
  );
  await queue.upsertJobScheduler(
    MAINTENANCE_JOBS.reconcileWindows,
    { every: RECONCILE_EVERY_MS },
    { name: MAINTENANCE_JOBS.reconcileWindows, data: {} },
  );
  await queue.upsertJobScheduler(
    MAINTENANCE_JOBS.reviewDeadlines,
    { every: REVIEW_DEADLINES_EVERY_MS },
    { name: MAINTENANCE_JOBS.reviewDeadlines, data: {} },
  );
  await queue.upsertJobScheduler(
    MAINTENANCE_JOBS.purgeOldFrames,
    { every: FRAME_RETENTION_EVERY_MS },
    { name: MAINTENANCE_JOBS.purgeOldFrames, data: {} },
  );
}

export function createMaintenanceWorker(
  connection: Redis,
  prisma: PrismaClient,
  analysisQueue: Queue,
  frameStore: FrameStore,
  /** A non-blocking connection for publishing events (the worker's own one blocks). */
  publisher: Redis,
): Worker {
  return new Worker(
    QUEUES.maintenance,
    async (job) => {
      switch (job.name) {
        case MAINTENANCE_JOBS.purgeExpiredSessions:
          return purgeExpiredSessions(prisma, job.data as PurgeExpiredSessionsPayload);
        case MAINTENANCE_JOBS.reconcileWindows:
          return reconcileWindows(prisma, analysisQueue);
        case MAINTENANCE_JOBS.purgeOldFrames:
          return purgeOldFrames(prisma, frameStore);
        case MAINTENANCE_JOBS.reviewDeadlines:
          return runReviewDeadlines(prisma, publisher);
        default:
          throw new Error(`No handler for ${QUEUES.maintenance}/${job.name}`);
      }
    },
    { connection, concurrency: 1 },
  );
}
