import 'reflect-metadata';
import { loadConfig } from '../config/config';
import { createLogger } from '../logging/logger';
import { startApi } from './start-api';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const { port } = await startApi(config, logger);
  logger.info({ port, graphql: `http://${config.HOST}:${port}/graphql` }, 'API listening');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
