import 'reflect-metadata';
import { loadConfig } from '../config/config';
import { createLogger } from '../logging/logger';
import { runUntilSignal } from '../process/graceful-shutdown';
import { startWorker } from './start-worker';

/** The worker process (`npm run start:worker`): see start-worker.ts for what it runs. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const worker = await startWorker(config, logger);
  runUntilSignal(logger, config.SHUTDOWN_TIMEOUT_MS, () => worker.stop());
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
