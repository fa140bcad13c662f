import 'reflect-metadata';
import { Queue, Worker } from 'bullmq';
import { loadConfig } from '../config/config';
import { createPrismaClient } from '../db/prisma-client';
import { createLogger } from '../logging/logger';
import { runUntilSignal } from '../process/graceful-shutdown';
import { createRedis } from '../redis/redis-client';
import { purgeExpiredSessions } from './purge-expired-sessions.job';
import { DEFAULT_JOB_OPTIONS, MAINTENANCE_JOBS, PurgeExpiredSessionsPayload, QUEUES } from './queues';

/**
 * The worker process. For now it runs the maintenance queue; the ingest and inference issues add
 * the sampler, analysis and webhook processors here.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const prisma = createPrismaClient(config.DATABASE_URL);
  const connection = createRedis(config.REDIS_URL, { forWorkers: true, name: 'vigil-worker' });

  const maintenance = new Queue(QUEUES.maintenance, { connection, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  // A job scheduler is idempotent by id, so every worker process can declare it at start-up.
  await maintenance.upsertJobScheduler(
    MAINTENANCE_JOBS.purgeExpiredSessions,
    { every: 3_600_000 },
    {
      name: MAINTENANCE_JOBS.purgeExpiredSessions,
      data: { olderThanHours: 24 } satisfies PurgeExpiredSessionsPayload,
    },
  );

  const worker = new Worker(
    QUEUES.maintenance,
    async (job) => {
      switch (job.name) {
        case MAINTENANCE_JOBS.purgeExpiredSessions:
          return purgeExpiredSessions(prisma, job.data as PurgeExpiredSessionsPayload);
        default:
          throw new Error(`No handler for ${QUEUES.maintenance}/${job.name}`);
      }
    },
    { connection, concurrency: 1 },
  );
  worker.on('completed', (job, result) => logger.info({ job: job.name, result }, 'job done'));
  worker.on('failed', (job, error) => logger.error({ job: job?.name, err: error }, 'job failed'));
  logger.info({ queues: Object.values(QUEUES) }, 'worker started');

  runUntilSignal(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
    await worker.close();
    await maintenance.close();
    await Promise.allSettled([prisma.$disconnect(), connection.quit()]);
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
