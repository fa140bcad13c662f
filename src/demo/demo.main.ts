import 'reflect-metadata';
import { startApi } from '../api/start-api';
import { loadConfig } from '../config/config';
import { migrate } from '../db/migration-runner';
import { createLogger } from '../logging/logger';
import { DEMO_TENANT_SLUG, DEMO_USERS, seedDemo } from '../../prisma/seed';

/**
 * `npm run demo`: migrates, seeds the demo tenant, starts the API and prints where to go and how
 * to log in. Runs on the embedded defaults (local PostgreSQL and Redis, no GPU).
 */
async function main(): Promise<void> {
  const config = loadConfig({ LOG_LEVEL: 'warn', ...process.env });
  const logger = createLogger(config.LOG_LEVEL);
  const report = await migrate(config.DATABASE_URL);
  const { port } = await startApi(config, logger, async ({ prisma, services }) => {
    await seedDemo(prisma, services);
  });
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
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
