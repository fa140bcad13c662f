import { loadConfig } from '../config/config';
import { createLogger } from '../logging/logger';
import { migrate } from './migration-runner';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const report = await migrate(config.DATABASE_URL);
  logger.info({ applied: report.applied, alreadyApplied: report.alreadyApplied.length }, 'migrations done');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
