import 'reflect-metadata';
import type Redis from 'ioredis';
import { ApiServer, createApiServer } from '../../src/api/app';
import { AppConfig, loadConfig } from '../../src/config/config';
import { createPrismaClient, PrismaClient } from '../../src/db/prisma-client';
import { createLogger } from '../../src/logging/logger';
import { createRedis } from '../../src/redis/redis-client';
import { createServices, Services } from '../../src/composition/create-services';
import { BullJobQueue } from '../../src/jobs/bullmq-job-queue';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: { code?: string; [key: string]: unknown } }[];
}

export interface TestApi {
  url: string;
  /** Every log line (JSON), when started with `{ captureLogs: true }`; empty otherwise. */
  logLines: string[];
  config: AppConfig;
  prisma: PrismaClient;
  redis: Redis;
  /** The API process's own queues (webhook deliveries it records are queued here). */
  jobs: BullJobQueue;
  services: Services;
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    credential?: string,
  ): Promise<GraphQLResponse<T>>;
  stop(): Promise<void>;
}

/**
 * The real API (Express + Apollo) on a free port, talking to the test PostgreSQL and Redis.
 * With `captureLogs`, its logger writes at level info into `logLines` instead of being silent.
 */
export async function startTestApi(
  env: Record<string, string> = {},
  options: { captureLogs?: boolean } = {},
): Promise<TestApi> {
  const config = loadConfig({
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    RATE_LIMIT_API_KEY_PER_MINUTE: '100000',
    RATE_LIMIT_SESSION_PER_MINUTE: '100000',
    RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
    RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE: '5000',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000',
    ...env,
  });
  const prisma = createPrismaClient(config.DATABASE_URL, { auditMacKeys: config.AUDIT_MAC_KEYS });
  const redis = createRedis(config.REDIS_URL, { name: 'vigil-test' });
  const jobs = new BullJobQueue(redis, config);
  const services = createServices({ prisma, redis, config, jobs });
  const logLines: string[] = [];
  const logger = options.captureLogs
    ? createLogger('info', { write: (line: string) => void logLines.push(line) })
    : createLogger(config.LOG_LEVEL);
  const server: ApiServer = await createApiServer({ config, prisma, redis, services, logger });
  const port = await server.listen();
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    logLines,
    config,
    prisma,
    redis,
    jobs,
    services,
    async gql(query, variables, credential) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(credential ? { authorization: `Bearer ${credential}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as Omit<GraphQLResponse, 'status'>;
      return { status: response.status, ...body } as GraphQLResponse<never>;
    },
    async stop() {
      await server.stop();
      await jobs.close();
      await Promise.allSettled([prisma.$disconnect(), redis.quit()]);
    },
  };
}

export function errorCodes(response: GraphQLResponse<unknown>): string[] {
  return (response.errors ?? []).map((error) => String(error.extensions?.code));
}

/** The machine-readable reasons (`extensions.reason`) of a response's errors. */
export function errorReasons(response: GraphQLResponse<unknown>): string[] {
  return (response.errors ?? []).map((error) => String(error.extensions?.reason));
}
