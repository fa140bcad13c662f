import { loadConfig } from '../config/config';
import { createLogger } from '../logging/logger';
import { migrateDatabase } from '../composition/migrate-database';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const report = await migrateDatabase(config);
  logger.info(
    {
      applied: report.applied,
      alreadyApplied: report.alreadyApplied.length,
      auditEventsChained: report.auditEventsChained,
      auditEventsOutsideChain: report.auditEventsOutsideChain,
    },
    'migrations done',
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
