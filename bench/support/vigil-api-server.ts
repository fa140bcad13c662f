/**
 * Child process of the benchmark: the real Vigil API (Express + Apollo + type-graphql + Prisma,
 * with authentication, rate limiting, logging and metrics) exactly as src/api/api.main.ts starts it.
 * Configuration comes from the environment the parent sets (DATABASE_URL, REDIS_URL, LOG_LEVEL, ...).
 */
import 'reflect-metadata';
import { createApiServer } from '../../src/api/app';
import { loadConfig } from '../../src/config/config';
import { createPrismaClient } from '../../src/db/prisma-client';
import { createLogger } from '../../src/logging/logger';
import { createRedis } from '../../src/redis/redis-client';
import { createServices } from '../../src/composition/create-services';
import { BullJobQueue } from '../../src/jobs/bullmq-job-queue';
import { runServerChild } from './protocol';

runServerChild(async () => {
  const config = loadConfig(process.env);
  const logger = createLogger(config.LOG_LEVEL);
  const prisma = createPrismaClient(config.DATABASE_URL);
  const redis = createRedis(config.REDIS_URL, { name: 'vigil-bench-api' });
  const jobs = new BullJobQueue(redis, config);
  const services = createServices({ prisma, redis, config, jobs });
  const server = await createApiServer({ config, prisma, redis, services, logger });
  const port = await server.listen();
  return {
    port,
    stop: async () => {
      await server.stop();
      await jobs.close();
      await Promise.allSettled([prisma.$disconnect(), redis.quit()]);
    },
  };
});
