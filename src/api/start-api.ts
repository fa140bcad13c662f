import type { Logger } from 'pino';
import type { AppConfig } from '../config/config';
import { createPrismaClient, PrismaClient } from '../db/prisma-client';
import { runUntilSignal } from '../process/graceful-shutdown';
import { createRedis } from '../redis/redis-client';
import { createServices, Services } from '../composition/create-services';
import { BullJobQueue } from '../jobs/bullmq-job-queue';
import { createApiServer } from './app';

export interface RunningApi {
  port: number;
  prisma: PrismaClient;
  services: Services;
}

/**
 * Connects to PostgreSQL and Redis, starts the API and stops it gracefully on SIGTERM/SIGINT.
 * `beforeListen` runs once the services exist (the demo seeds its tenant there).
 */
export async function startApi(
  config: AppConfig,
  logger: Logger,
  beforeListen?: (deps: { prisma: PrismaClient; services: Services }) => Promise<void>,
  /** Runs first on shutdown (the demo stops its in-process worker there). */
  beforeStop?: () => Promise<void>,
): Promise<RunningApi> {
  const prisma = createPrismaClient(config.DATABASE_URL, { auditMacKeys: config.AUDIT_MAC_KEYS });
  const redis = createRedis(config.REDIS_URL, { name: 'vigil-api' });
  // This process's own queues: the worker's shutdown never closes the API's.
  const jobs = new BullJobQueue(redis, config, {
    onError: (error, queue) => logger.error({ queue, err: error }, 'job queue error'),
  });
  const services = createServices({ prisma, redis, config, jobs });
  await beforeListen?.({ prisma, services });
  const server = await createApiServer({ config, prisma, redis, services, logger });
  const port = await server.listen();
  runUntilSignal(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
    await beforeStop?.();
    await server.stop();
    await jobs.close();
    await Promise.allSettled([prisma.$disconnect(), redis.quit()]);
  });
  return { port, prisma, services };
}
