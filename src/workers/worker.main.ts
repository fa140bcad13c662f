import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { loadConfig } from '../config/config';
import { createPrismaClient } from '../db/prisma-client';
import { StreamLeases } from '../ingest/stream-leases';
import { startStreamRunner } from '../ingest/stream-runner';
import { StreamSupervisor } from '../ingest/stream-supervisor';
import { reconcileWindows } from '../ingest/window-reconciler';
import { createLogger } from '../logging/logger';
import { runUntilSignal } from '../process/graceful-shutdown';
import { createRedis } from '../redis/redis-client';
import { createFrameStore } from '../storage/create-frame-store';
import { createMaintenanceQueue, createMaintenanceWorker, scheduleMaintenance } from './maintenance.worker';
import { DEFAULT_JOB_OPTIONS, QUEUES } from './queues';

/**
 * The worker process: the stream supervisor (one sampler per active stream across all workers)
 * and the maintenance queue (window reconciliation, session purge). The analysis processor
 * arrives with the inference issue; until then queued windows wait on the analysis queue.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const workerId = randomUUID();
  const logger = createLogger(config.LOG_LEVEL).child({ workerId });
  const prisma = createPrismaClient(config.DATABASE_URL);
  const connection = createRedis(config.REDIS_URL, { forWorkers: true, name: 'vigil-worker' });

  const analysisQueue = new Queue(QUEUES.analysis, { connection, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  const maintenance = createMaintenanceQueue(connection);
  await scheduleMaintenance(maintenance);
  const frameStore = createFrameStore(config);
  const maintenanceWorker = createMaintenanceWorker(
    connection.duplicate(),
    prisma,
    analysisQueue,
    frameStore,
  );
  maintenanceWorker.on('failed', (job, error) => logger.error({ job: job?.name, err: error }, 'job failed'));

  // Windows whose jobs Redis lost are queued again before anything else happens.
  const reconciled = await reconcileWindows(prisma, analysisQueue);
  logger.info(reconciled, 'windows reconciled');

  const supervisor = new StreamSupervisor(
    prisma,
    new StreamLeases(connection, workerId, config.STREAM_LEASE_MS),
    (stream) => startStreamRunner({ prisma, store: frameStore, analysisQueue, config, logger }, stream),
    logger,
    { tickMs: config.SUPERVISOR_TICK_MS, maxStreams: config.WORKER_MAX_STREAMS },
  );
  supervisor.start();
  logger.info({ queues: Object.values(QUEUES), maxStreams: config.WORKER_MAX_STREAMS }, 'worker started');

  runUntilSignal(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
    // Streams first: their leases are released so other workers take over at once.
    await supervisor.stop();
    await maintenanceWorker.close();
    await Promise.all([maintenance.close(), analysisQueue.close()]);
    await Promise.allSettled([prisma.$disconnect(), connection.quit()]);
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
