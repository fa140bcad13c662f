import 'reflect-metadata';
import { createApiServer } from '../api/app';
import { loadConfig } from '../config/config';
import { migrate } from '../db/migration-runner';
import { createPrismaClient } from '../db/prisma-client';
import { createLogger } from '../logging/logger';
import { runUntilSignal } from '../process/graceful-shutdown';
import { createRedis } from '../redis/redis-client';
import { createServices } from '../services/services';
import { DEMO_TENANT_SLUG, DEMO_USERS, seedDemo } from '../../prisma/seed';

/**
 * `npm run demo`: migrates, seeds the demo tenant, starts the API and prints where to go and how
 * to log in. Runs on the embedded defaults (local PostgreSQL and Redis, no GPU).
 */
async function main(): Promise<void> {
  const config = loadConfig({ LOG_LEVEL: 'warn', ...process.env });
  const logger = createLogger(config.LOG_LEVEL);
  const report = await migrate(config.DATABASE_URL);
  const prisma = createPrismaClient(config.DATABASE_URL);
  const redis = createRedis(config.REDIS_URL, { name: 'vigil-demo' });
  const services = createServices({ prisma, redis, config });
  await seedDemo(prisma, services);
  const server = await createApiServer({ config, prisma, redis, services, logger });
  const port = await server.listen();
  const host = config.HOST === '0.0.0.0' ? 'localhost' : config.HOST;

  console.log(`
Vigil demo is running.
  migrations applied now: ${report.applied.length} (already applied: ${report.alreadyApplied.length})
  GraphQL API:  http://${host}:${port}/graphql   (open it in a browser for Apollo Sandbox)
  health:       http://${host}:${port}/readyz    metrics: http://${host}:${port}/metrics

Log in with mutation login(input: {tenantSlug: "${DEMO_TENANT_SLUG}", email, password}) as:
${DEMO_USERS.map((user) => `  ${user.role.padEnd(9)} ${user.email.padEnd(22)} ${user.password}`).join('\n')}
then send the token as "Authorization: Bearer <token>".

Press Ctrl+C to stop.`);

  runUntilSignal(logger, config.SHUTDOWN_TIMEOUT_MS, async () => {
    await server.stop();
    await Promise.allSettled([prisma.$disconnect(), redis.quit()]);
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
