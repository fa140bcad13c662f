import 'reflect-metadata';
import { loadConfig } from '../config/config';
import { createPrismaClient } from '../db/prisma-client';
import { createLogger } from '../logging/logger';
import { runUntilSignal } from '../process/graceful-shutdown';
import { createRedis } from '../redis/redis-client';
import { createServices } from '../services/services';
import { createApiServer } from './app';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const prisma = createPrismaClient(config.DATABASE_URL);
  const redis = createRedis(config.REDIS_URL, { name: 'vigil-api' });
  const services = createServices({ prisma, redis, config });
  const server = await createApiServer({ config, prisma, redis, services, logger });
  const port = await server.listen();
  logger.info({ port, graphql: `http://${config.HOST}:${port}/graphql` }, 'API listening');
  runUntilSignal(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
    await server.stop();
    await Promise.allSettled([prisma.$disconnect(), redis.quit()]);
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
