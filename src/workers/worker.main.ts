import 'reflect-metadata';
import { Queue } from 'bullmq';
import { loadConfig } from '../config/config';
import { createPrismaClient } from '../db/prisma-client';
import { createLogger } from '../logging/logger';
import { runUntilSignal } from '../process/graceful-shutdown';
import { createRedis } from '../redis/redis-client';
import { createMaintenanceQueue, createMaintenanceWorker, scheduleMaintenance } from './maintenance.worker';
import { DEFAULT_JOB_OPTIONS, QUEUES } from './queues';

/**
 * The worker process. For now it runs the maintenance queue; the ingest and inference issues add
 * the sampler, analysis and webhook processors here.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const prisma = createPrismaClient(config.DATABASE_URL);
  const connection = createRedis(config.REDIS_URL, { forWorkers: true, name: 'vigil-worker' });

  const maintenance = createMaintenanceQueue(connection);
  await scheduleMaintenance(maintenance);
  const analysisQueue = new Queue(QUEUES.analysis, { connection, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  const worker = createMaintenanceWorker(connection, prisma, analysisQueue);
  worker.on('completed', (job, result) => logger.info({ job: job.name, result }, 'job done'));
  worker.on('failed', (job, error) => logger.error({ job: job?.name, err: error }, 'job failed'));
  logger.info({ queues: Object.values(QUEUES) }, 'worker started');

  runUntilSignal(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
    // close() waits for the running job to finish, so no job is cut off half-way.
    await worker.close();
    await Promise.all([maintenance.close(), analysisQueue.close()]);
    await Promise.allSettled([prisma.$disconnect(), connection.quit()]);
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
