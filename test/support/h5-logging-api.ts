import 'reflect-metadata';
import { createApiServer } from '../../src/api/app';
import { loadConfig } from '../../src/config/config';
import { createPrismaClient } from '../../src/db/prisma-client';
import { createLogger } from '../../src/logging/logger';
import { createRedis } from '../../src/redis/redis-client';
import { createServices } from '../../src/services/services';
import type { TestApi } from './api-harness';

/** The real API, like startTestApi, but its logger writes every line (JSON) into `lines`. */
export interface LoggingTestApi extends TestApi {
  lines: string[];
}

export async function startLoggingTestApi(env: Record<string, string> = {}): Promise<LoggingTestApi> {
  const config = loadConfig({
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    RATE_LIMIT_API_KEY_PER_MINUTE: '100000',
    RATE_LIMIT_SESSION_PER_MINUTE: '100000',
    RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
    ...env,
  });
  const lines: string[] = [];
  const destination = { write: (line: string) => void lines.push(line) };
  const logger = createLogger('info', destination);
  const prisma = createPrismaClient(config.DATABASE_URL);
  const redis = createRedis(config.REDIS_URL, { name: 'vigil-test-h5-logging' });
  const services = createServices({ prisma, redis, config });
  const server = await createApiServer({ config, prisma, redis, services, logger });
  const port = await server.listen();
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    config,
    prisma,
    redis,
    services,
    lines,
    async gql(query, variables, credential) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(credential ? { authorization: `Bearer ${credential}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as Record<string, unknown>;
      return { status: response.status, ...body } as never;
    },
    async stop() {
      await server.stop();
      await Promise.allSettled([prisma.$disconnect(), redis.quit()]);
    },
  };
}
